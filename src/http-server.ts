import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isLoopback } from '../config/env.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { sqliteWritable, type Db } from '../db/connection.ts';
import type { Queues } from '../jobs/queues.ts';
import type { Metrics } from './metrics.ts';
import { registerOpsGuard } from './ops-guard.ts';
import { registerQueueBoard } from './queue-board.ts';

export interface HttpServerDeps {
  host: string;
  port: number;
  adminUser?: string;
  adminPassword?: string;
  /** Names clients reach the server by (Host header); loopback names are always added for a loopback bind. */
  allowedHosts?: string[];
  /** Proxies whose X-Forwarded-For names the client (the login limit counts per client). */
  trustProxy?: string[];
  queues: Queues;
  redis: Redis;
  db: Db;
  log: Logger;
  /** Served at /metrics (Prometheus text format) when given. */
  metrics?: Metrics;
  /** Routes the feature modules add (production, orders, shipments). */
  routes?: ((app: FastifyInstance) => void | Promise<void>)[];
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);
const READY_WAIT_MS = 1_000;

/** The Host names the server answers to: the configured ones, its own address, and loopback names on loopback. */
export function allowedHostsFor(host: string, extra: string[] = []): string[] {
  const names = new Set(extra);
  if (!WILDCARD.has(host)) names.add(host);
  if (isLoopback(host) || WILDCARD.has(host)) for (const n of ['localhost', '127.0.0.1', '::1']) names.add(n);
  return [...names];
}

/**
 * The ops server: Bull Board at /admin/queues, /healthz, /readyz, /metrics and the JSON API under /api.
 * It refuses a non-loopback host without admin credentials (config validation says so first).
 */
export async function createHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const authRequired = deps.adminUser !== undefined && deps.adminPassword !== undefined;
  if (!isLoopback(deps.host) && !authRequired) {
    throw new Error(`refusing to serve the ops API on ${deps.host} without ADMIN_USER and ADMIN_PASSWORD`);
  }
  const app = Fastify({
    trustProxy: deps.trustProxy?.length ? deps.trustProxy : false,
    // Request lines are info-level noise (Bull Board polls every few seconds); warnings and errors stay.
    loggerInstance: deps.log.child({ component: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger,
  });

  await registerOpsGuard(app, {
    allowedHosts: allowedHostsFor(deps.host, deps.allowedHosts),
    adminUser: deps.adminUser,
    adminPassword: deps.adminPassword,
    log: deps.log.child({ component: 'http' }),
  });

  registerQueueBoard(app, deps.queues);

  app.get('/healthz', async () => ({ status: 'ok' }));
  // Within a second, whatever is wrong: a Redis that does not answer (ioredis would queue the ping
  // forever), or a SQLite file another process holds locked.
  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      const pong = await Promise.race([deps.redis.ping(), sleep(READY_WAIT_MS).then(() => 'no answer within 1 s')]);
      checks.redis = pong === 'PONG' ? 'ok' : pong;
    } catch (err) {
      checks.redis = (err as Error).message;
    }
    try {
      deps.db.$client.prepare('select 1').get();
      checks.sqlite = sqliteWritable(deps.db);
    } catch (err) {
      checks.sqlite = (err as Error).message;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  // Behind the same guard as the board: Prometheus scrapes with basic_auth when ADMIN_USER is set.
  const metrics = deps.metrics;
  if (metrics) app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  for (const addRoutes of deps.routes ?? []) await addRoutes(app);
  return app;
}
