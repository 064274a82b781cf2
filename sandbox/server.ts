import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { PLATFORMS } from '../config/env.ts';
import type { Platform } from '../adapters/types.ts';
import { TokenBuckets } from './rate-limit.ts';
import { SandboxStore, type Fault } from './store.ts';
import { platformRoutes } from './platforms.ts';

export interface SandboxOptions {
  host?: string;
  port?: number;
  seed?: number;
  /** Multiplies every published rate limit (benchmarks use 100). */
  rateScale?: number;
  /** Generate new orders on each platform every this many ms (0: only on request). */
  generateEveryMs?: number;
  /** Orders per platform created at start. */
  initialOrders?: number;
  /** How long ago the initial orders were placed (ms; default: just now). */
  initialAgeMs?: number;
  logger?: boolean;
}

export interface SandboxContext {
  store: SandboxStore;
  buckets: TokenBuckets;
  options: SandboxOptions;
  /** The sandbox's own base URL, once it listens (token endpoints and Location headers use it). */
  baseUrl(): string;
}

export interface Sandbox {
  url: string;
  app: FastifyInstance;
  context: SandboxContext;
  close(): Promise<void>;
}

/**
 * The marketplace sandbox: one HTTP server speaking each platform's wire format (routes in
 * sandbox/<platform>/), plus a control API under /__sandbox for tests, demos and benchmarks.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const store = new SandboxStore(options.seed ?? 42);
  const buckets = new TokenBuckets(options.rateScale ?? 1);
  let url = '';
  const context: SandboxContext = { store, buckets, options, baseUrl: () => url };
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 10 * 1024 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  registerControlRoutes(app, context);
  for (const register of platformRoutes) await register(app, context);

  if (options.initialOrders) for (const p of PLATFORMS) store.add(p, options.initialOrders);
  if (options.initialAgeMs) store.backdate(options.initialAgeMs);

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let timer: NodeJS.Timeout | undefined;
  if (options.generateEveryMs) {
    timer = setInterval(() => {
      for (const p of PLATFORMS) {
        store.advance(p);
        store.add(p, store.random.int(1, 3));
      }
    }, options.generateEveryMs);
    timer.unref();
  }

  return {
    url,
    app,
    context,
    close: async () => {
      if (timer) clearInterval(timer);
      await app.close();
    },
  };
}

function registerControlRoutes(app: FastifyInstance, ctx: SandboxContext) {
  const platformOf = (p: unknown): Platform => {
    if (!PLATFORMS.includes(p as Platform)) throw Object.assign(new Error(`platform must be one of ${PLATFORMS.join(', ')}`), { statusCode: 400 });
    return p as Platform;
  };
  app.get('/__sandbox/health', async () => ({ status: 'ok', orders: Object.fromEntries(PLATFORMS.map((p) => [p, ctx.store.orders[p].size])) }));
  app.post<{ Body: { platform: string; count?: number; state?: 'pending' | 'unshipped' | 'cancelled' } }>('/__sandbox/orders', async (req) => {
    const made = ctx.store.add(platformOf(req.body.platform), req.body.count ?? 1, req.body.state);
    return { created: made.map((o) => o.id) };
  });
  app.get<{ Params: { platform: string; id: string } }>('/__sandbox/orders/:platform/:id', async (req, reply) => {
    const order = ctx.store.get(platformOf(req.params.platform), req.params.id);
    return order ?? reply.code(404).send({ error: 'no such order' });
  });
  app.post<{ Params: { platform: string; id: string }; Body: { state?: 'pending' | 'unshipped' | 'cancelled'; paid?: boolean; cancelRequested?: boolean } }>(
    '/__sandbox/orders/:platform/:id',
    async (req) =>
      ctx.store.update(platformOf(req.params.platform), req.params.id, (o) => {
        if (req.body.state) o.state = req.body.state;
        if (req.body.paid !== undefined) o.paid = req.body.paid;
        if (req.body.cancelRequested !== undefined) o.cancelRequested = req.body.cancelRequested;
      }),
  );
  app.get<{ Querystring: { platform?: string; operation?: string } }>('/__sandbox/calls', async (req) =>
    ctx.store.calls.filter(
      (c) => (!req.query.platform || c.platform === req.query.platform) && (!req.query.operation || c.operation === req.query.operation),
    ),
  );
  app.post<{ Body: Omit<Fault, 'remaining'> & { count?: number } }>('/__sandbox/faults', async (req) => {
    const { count, ...fault } = req.body;
    ctx.store.faults.push({ ...fault, platform: platformOf(fault.platform), remaining: count ?? 1 });
    return { queued: ctx.store.faults.length };
  });
  app.delete('/__sandbox/faults', async () => {
    ctx.store.faults.length = 0;
    return { cleared: true };
  });
}
