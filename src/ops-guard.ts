import basicAuth from '@fastify/basic-auth';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';

export interface OpsGuardOptions {
  /** Host names (no port) this server answers to; anything else in `Host` is refused (DNS rebinding). */
  allowedHosts: string[];
  adminUser?: string;
  adminPassword?: string;
  log: Logger;
  /** Failed logins from one address before it is refused for the rest of the window. */
  maxFailures?: number;
  failureWindowMs?: number;
}

/** Routes anyone who can reach the server may read (matched route patterns, GET/HEAD only). */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Addresses with failed logins kept in memory at most (a flood of addresses cannot grow it further). */
const MAX_TRACKED = 10_000;

/** Equal-time comparison of two secrets of any length (digests first, so the length does not leak). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The host name of a Host header or an origin, lower case, without port or IPv6 brackets. */
export function hostName(value: string): string | undefined {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname.replace(/^\[|\]$/g, '').toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

/** An Origin header names the host:port this request was sent to. */
function sameOrigin(origin: string, host: string): boolean {
  try {
    const o = new URL(origin);
    if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
    const port = o.port || (o.protocol === 'https:' ? '443' : '80');
    const [h, p] = [hostName(host), new URL(`http://${host}`).port || '80'];
    return o.hostname.replace(/^\[|\]$/g, '').toLowerCase() === h && (port === p || (o.protocol === 'https:' && p === '80'));
  } catch {
    return false;
  }
}

/**
 * The ops server's boundary, in one onRequest hook that runs after routing:
 * - `Host` must name this server (a page on another site cannot rebind its name to 127.0.0.1);
 * - request targets in absolute form are refused (an origin server is never sent them);
 * - authentication is decided on the route fastify matched, so `/%61pi/...` is `/api/...`: every route
 *   but /healthz and /readyz requires it when ADMIN_USER is set;
 * - failed logins are logged and, past `maxFailures` in the window, refused per address (429);
 * - a state-changing request must come from this server's own pages or from a non-browser client
 *   (`Origin`, `Sec-Fetch-Site`), and a body must be JSON (a form or text/plain post is how CSRF works).
 */
export async function registerOpsGuard(app: FastifyInstance, o: OpsGuardOptions): Promise<void> {
  const allowed = new Set(o.allowedHosts.map((h) => hostName(h) ?? h.toLowerCase()));
  const authRequired = o.adminUser !== undefined && o.adminPassword !== undefined;
  const maxFailures = o.maxFailures ?? 10;
  const windowMs = o.failureWindowMs ?? 5 * 60_000;
  const failures = new Map<string, { count: number; resetAt: number }>();
  const refuse = (reply: FastifyReply, code: number, error: string) => reply.code(code).send({ error });

  if (authRequired) {
    await app.register(basicAuth, {
      authenticate: { realm: 'order-sync-worker' },
      validate: async (user, password, req) => {
        if (sameSecret(user, o.adminUser!) && sameSecret(password, o.adminPassword!)) return;
        const now = Date.now();
        const f = failures.get(req.ip);
        const entry = f && f.resetAt > now ? f : { count: 0, resetAt: now + windowMs };
        entry.count += 1;
        failures.set(req.ip, entry);
        if (failures.size > MAX_TRACKED) {
          for (const [ip, e] of failures) if (e.resetAt <= now) failures.delete(ip);
          for (const ip of failures.keys()) if (failures.size > MAX_TRACKED) failures.delete(ip); // oldest first
        }
        o.log.warn({ ip: req.ip, user: user.slice(0, 64), failures: entry.count }, 'ops server: failed login');
        throw new Error('wrong user or password');
      },
    });
  }

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const host = hostName(String(req.headers.host ?? ''));
    if (!host || !allowed.has(host)) {
      return refuse(reply, 403, `Host "${String(req.headers.host ?? '').slice(0, 100)}" is not a name this server answers to; add it to HTTP_ALLOWED_HOSTS`);
    }
    if (!req.raw.url?.startsWith('/')) return refuse(reply, 400, 'only origin-form request targets are served');

    const route = req.routeOptions.url;
    const isPublic = route !== undefined && PUBLIC_ROUTES.has(route) && (req.method === 'GET' || req.method === 'HEAD');
    if (authRequired && !isPublic) {
      const f = failures.get(req.ip);
      if (f && f.resetAt > Date.now() && f.count >= maxFailures) {
        reply.header('retry-after', String(Math.ceil((f.resetAt - Date.now()) / 1000)));
        return refuse(reply, 429, 'too many failed logins from this address; wait and try again');
      }
      await new Promise<void>((resolve, reject) => app.basicAuth(req, reply, (err?: Error) => (err ? reject(err) : resolve())));
      if (reply.sent) return reply;
    }

    if (!SAFE_METHODS.has(req.method)) {
      // Same origin means the same host and port as this request (scheme aside: TLS may end at a proxy).
      const origin = req.headers.origin;
      if (origin !== undefined && !sameOrigin(origin, String(req.headers.host ?? ''))) {
        return refuse(reply, 403, `cross-origin request from ${origin.slice(0, 100)} refused`);
      }
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') return refuse(reply, 403, `cross-site request (${site}) refused`);
      const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (hasBody && type !== 'application/json') return refuse(reply, 415, 'request bodies must be application/json');
    }
  });
}
