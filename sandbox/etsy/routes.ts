import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ETSY_SANDBOX_CREDENTIALS } from '../../adapters/etsy/index.ts';
import { ETSY_LIMIT } from '../../adapters/etsy/limits.ts';
import { compareCodeUnits } from '../../src/compare.ts';
import type { RegisterPlatformRoutes } from '../platforms.ts';
import type { SandboxContext } from '../server.ts';
import { renderEtsyReceipt, renderEtsyShop } from './render.ts';

/** What the sandbox's shop owner granted the app (every token minted carries them). */
const GRANTED_SCOPES = ['email_r', 'shops_r', 'transactions_r', 'transactions_w'];

/**
 * Etsy Open API v3 as the worker uses it: OAuth refresh with a rotating refresh token, the shop,
 * the token's scopes, shop receipts with min_last_modified / limit / offset, one receipt, tracking
 * upload (each refused without its OAuth scope, as Etsy does: 403 insufficient_scope); Etsy's
 * rate-limit headers on every answer and real 429s past 10/s or 10,000/day (times the scale).
 */
export const etsyRoutes: RegisterPlatformRoutes = (app, ctx) => {
  /** Each live access token and its scopes. */
  const validAccess = new Map([[ETSY_SANDBOX_CREDENTIALS.accessToken, GRANTED_SCOPES]]);
  let refreshToken = ETSY_SANDBOX_CREDENTIALS.refreshToken!;
  const error = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ error: message });

  app.post<{ Body: Record<string, string> }>('/v3/public/oauth/token', async (req, reply) => {
    const b = req.body ?? {};
    ctx.store.record({ platform: 'etsy', operation: 'refreshToken', status: 200 });
    if (b.grant_type !== 'refresh_token' || b.client_id !== ETSY_SANDBOX_CREDENTIALS.clientId) {
      return reply.code(400).send({ error: 'invalid_request', error_description: 'grant_type must be refresh_token with a known client_id' });
    }
    if (b.refresh_token !== refreshToken) return reply.code(400).send({ error: 'invalid_grant', error_description: 'refresh token is invalid or expired' });
    const access = `sandbox-etsy-${randomBytes(12).toString('hex')}`;
    refreshToken = `sandbox-etsy-refresh-${randomBytes(12).toString('hex')}`; // rotated, as Etsy does
    validAccess.set(access, GRANTED_SCOPES);
    return { access_token: access, token_type: 'Bearer', expires_in: 3600, refresh_token: refreshToken };
  });

  /**
   * Etsy's x-api-key rule since 2026-02-09: `keystring:shared_secret` on every application call, with
   * the 403 bodies Etsy sends when it is not (the token endpoint above takes client_id instead).
   */
  const apiKeyProblem = (header: unknown): string | undefined => {
    if (typeof header !== 'string' || header === '') return "Invalid API key: should be in the format 'keystring:shared_secret'.";
    const [keystring, secret, ...rest] = header.split(':');
    if (secret === undefined) return 'Shared secret is required in x-api-key header.';
    if (rest.length > 0 || !keystring || !secret) return "Invalid API key: should be in the format 'keystring:shared_secret'.";
    if (keystring !== ETSY_SANDBOX_CREDENTIALS.clientId || secret !== ETSY_SANDBOX_CREDENTIALS.sharedSecret) {
      return 'API key not found or not active, or incorrect shared secret for API key.';
    }
    return undefined;
  };

  /**
   * Auth, rate limits and injected faults, the same for every application endpoint. `scope`: the
   * OAuth scope the endpoint needs, or null for the endpoints the API key alone opens (getShop).
   */
  const guard = (operation: string, scope: string | null) => async (req: FastifyRequest, reply: FastifyReply) => {
    const keyProblem = apiKeyProblem(req.headers['x-api-key']);
    if (keyProblem) {
      ctx.store.record({ platform: 'etsy', operation, status: 403 });
      return error(reply, 403, keyProblem);
    }
    if (scope !== null) {
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      const scopes = token ? validAccess.get(token) : undefined;
      if (!scopes) return error(reply, 401, 'invalid_token');
      if (!scopes.includes(scope)) {
        ctx.store.record({ platform: 'etsy', operation, status: 403 });
        return reply.code(403).send({ error: 'insufficient_scope', error_description: 'Insufficient scope' });
      }
    }
    const wait = ctx.buckets.take('etsy:app', ETSY_LIMIT.ratePerSecond, ETSY_LIMIT.burst);
    const day = wait === 0 ? ctx.buckets.takeDaily('etsy:app', ETSY_LIMIT.perDay!) : { allowed: true, remaining: 0 };
    reply.headers({
      'x-limit-per-second': String(ETSY_LIMIT.ratePerSecond * scale(ctx)),
      'x-remaining-this-second': String(ctx.buckets.remaining('etsy:app')),
      'x-limit-per-day': String(ETSY_LIMIT.perDay! * scale(ctx)),
      'x-remaining-today': String(day.remaining),
    });
    if (wait > 0 || !day.allowed) {
      ctx.store.record({ platform: 'etsy', operation, status: 429 });
      return reply.code(429).header('retry-after', String(Math.max(1, Math.ceil(wait / 1000)))).send({ error: 'Too many requests' });
    }
    const fault = ctx.store.takeFault('etsy', operation);
    // A held answer: the request is carried out, its answer only comes after holdMs (past a client's timeout).
    if (fault?.holdMs) await sleep(fault.holdMs);
    else if (fault) {
      ctx.store.record({ platform: 'etsy', operation, status: fault.status });
      return reply.code(fault.status).headers(fault.headers ?? {}).send(fault.body ?? { error: `injected ${fault.status}` });
    }
  };
  const scale = (c: SandboxContext) => c.options.rateScale ?? 1;
  const shopOk = (shopId: string) => shopId === ETSY_SANDBOX_CREDENTIALS.shopId;

  app.get<{ Params: { shop_id: string } }>('/v3/application/shops/:shop_id', { preHandler: guard('getShop', null) }, async (req, reply) => {
    if (!/^[1-9]\d*$/.test(req.params.shop_id)) return error(reply, 400, 'Expected int >= 1 for shop_id');
    if (!shopOk(req.params.shop_id)) return error(reply, 404, `Could not find a shop with shop_id = ${req.params.shop_id}`);
    ctx.store.record({ platform: 'etsy', operation: 'getShop', params: req.params, status: 200 });
    return renderEtsyShop(Number(req.params.shop_id));
  });

  // tokenScopes: the API key opens it; the token to look at comes in the form body.
  app.post<{ Body: Record<string, string> }>('/v3/application/scopes', { preHandler: guard('tokenScopes', null) }, async (req, reply) => {
    const scopes = validAccess.get(req.body?.token ?? '');
    ctx.store.record({ platform: 'etsy', operation: 'tokenScopes', status: scopes ? 200 : 400 });
    if (!scopes) return error(reply, 400, 'Invalid token');
    return { scopes };
  });

  app.get<{
    Params: { shop_id: string };
    Querystring: { min_last_modified?: string; max_last_modified?: string; limit?: string; offset?: string; sort_on?: string; sort_order?: string };
  }>('/v3/application/shops/:shop_id/receipts', { preHandler: guard('getShopReceipts', 'transactions_r') }, async (req, reply) => {
    if (!shopOk(req.params.shop_id)) return error(reply, 404, `Shop ${req.params.shop_id} not found`);
    const q = req.query;
    const limit = q.limit === undefined ? 25 : Number(q.limit);
    const offset = Number(q.offset ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return error(reply, 400, 'Expected int <= 100 for limit');
    const from = q.min_last_modified ? new Date(Number(q.min_last_modified) * 1000).toISOString() : undefined;
    const to = q.max_last_modified ? new Date((Number(q.max_last_modified) + 1) * 1000).toISOString() : undefined;
    let list = ctx.store.modifiedBetween('etsy', from, to);
    if (q.sort_on === 'created') list.sort((a, b) => compareCodeUnits(a.createdAt, b.createdAt));
    else if (q.sort_on === 'receipt_id') list.sort((a, b) => a.numericId - b.numericId);
    if (q.sort_order === 'desc' || q.sort_order === 'descending') list = list.reverse();
    ctx.store.record({ platform: 'etsy', operation: 'getShopReceipts', params: q, status: 200 });
    return { count: list.length, results: list.slice(offset, offset + limit).map((o) => renderEtsyReceipt(o)) };
  });

  app.get<{ Params: { shop_id: string; receipt_id: string } }>(
    '/v3/application/shops/:shop_id/receipts/:receipt_id',
    { preHandler: guard('getShopReceipt', 'transactions_r') },
    async (req, reply) => {
      const order = shopOk(req.params.shop_id) ? ctx.store.get('etsy', req.params.receipt_id) : undefined;
      if (!order) return error(reply, 404, `Receipt ${req.params.receipt_id} not found`);
      ctx.store.record({ platform: 'etsy', operation: 'getShopReceipt', params: req.params, status: 200 });
      return renderEtsyReceipt(order);
    },
  );

  app.post<{ Params: { shop_id: string; receipt_id: string }; Body: Record<string, string> }>(
    '/v3/application/shops/:shop_id/receipts/:receipt_id/tracking',
    { preHandler: guard('createReceiptShipment', 'transactions_w') },
    async (req, reply) => {
      const order = shopOk(req.params.shop_id) ? ctx.store.get('etsy', req.params.receipt_id) : undefined;
      if (!order) return error(reply, 404, `Receipt ${req.params.receipt_id} not found`);
      const { tracking_code, carrier_name, note_to_buyer } = req.body ?? {};
      if (!tracking_code || !carrier_name) return error(reply, 400, 'tracking_code and carrier_name are required');
      if (order.state === 'cancelled') return error(reply, 409, 'Receipt is canceled');
      ctx.store.record({ platform: 'etsy', operation: 'createReceiptShipment', params: req.params, body: req.body, status: 200 });
      const updated = ctx.store.update('etsy', order.id, (o) => {
        o.shipments.push({
          id: String(900_000_000 + ctx.store.calls.length),
          carrier: carrier_name,
          trackingNumber: tracking_code,
          shippedAt: new Date().toISOString(),
          lines: o.lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity - l.quantityShipped })),
          note: note_to_buyer,
        });
        for (const l of o.lines) l.quantityShipped = l.quantity; // Etsy ships the whole receipt
        o.state = 'shipped';
      });
      return renderEtsyReceipt(updated);
    },
  );
};
