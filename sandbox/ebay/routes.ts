import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EBAY_SANDBOX_CREDENTIALS } from '../../adapters/ebay/index.ts';
import { EBAY_LIMIT } from '../../adapters/ebay/limits.ts';
import type { EbayShippingFulfillmentDetails } from '../../adapters/ebay/wire.ts';
import type { SandboxOrder } from '../generator.ts';
import type { RegisterPlatformRoutes } from '../platforms.ts';
import { renderEbayFulfillment, renderEbayOrder } from './render.ts';

const BASE = '/sell/fulfillment/v1';
const LIMIT_MAX = 200;

/** eBay's error body (components/schemas/Error in an ErrorList). */
const ebayError = (errorId: number, message: string, domain = 'API_FULFILLMENT', category = 'REQUEST') => ({
  errors: [{ errorId, domain, category, message }],
});

/**
 * eBay's Sell Fulfillment API as the worker uses it: the identity endpoint's refresh-token grant,
 * getOrders with `lastmodifieddate` filter and limit/offset paging, getOrder, and shipping
 * fulfillments (list, one, create with a Location header). Real 429s past the account's rate or
 * its daily quota (times the scale). eBay publishes no per-second limit; the sandbox enforces the
 * one the adapter declares, standing in for eBay's unannounced short-term throttling.
 */
export const ebayRoutes: RegisterPlatformRoutes = (app, ctx) => {
  const c = EBAY_SANDBOX_CREDENTIALS;
  const validAccess = new Set([c.userToken]);
  const basic = `Basic ${Buffer.from(`${c.appId}:${c.certId}`).toString('base64')}`;

  app.post<{ Body: Record<string, string> }>('/identity/v1/oauth2/token', async (req, reply) => {
    const b = req.body ?? {};
    ctx.store.record({ platform: 'ebay', operation: 'refreshToken', status: 200 });
    if (req.headers.authorization !== basic) return reply.code(401).send({ error: 'invalid_client', error_description: 'client authentication failed' });
    if (b.grant_type !== 'refresh_token') return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'grant type in request is not supported by the authorization server' });
    if (b.refresh_token !== c.refreshToken) return reply.code(400).send({ error: 'invalid_grant', error_description: 'the provided authorization refresh token is invalid or was issued to another client' });
    const access = `v^1.1#i^1#sandbox-${randomBytes(12).toString('hex')}`;
    validAccess.add(access);
    return { access_token: access, expires_in: 7200, token_type: 'User Access Token' };
  });

  /** Auth, rate limits and injected faults, the same for every Fulfillment call. */
  const guard = (operation: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!token || !validAccess.has(token)) {
      ctx.store.record({ platform: 'ebay', operation, status: 401 });
      return reply.code(401).send(ebayError(1001, 'Invalid access token', 'OAuth'));
    }
    const wait = ctx.buckets.take('ebay:app', EBAY_LIMIT.ratePerSecond, EBAY_LIMIT.burst);
    const day = wait === 0 ? ctx.buckets.takeDaily('ebay:app', EBAY_LIMIT.perDay!) : { allowed: true };
    if (wait > 0 || !day.allowed) {
      ctx.store.record({ platform: 'ebay', operation, status: 429 });
      return reply.code(429).send(ebayError(2001, 'Too many requests. The request limit has been reached for the resource.', 'ACCESS'));
    }
    const fault = ctx.store.takeFault('ebay', operation);
    // A held answer: the request is carried out, its answer only comes after holdMs (past a client's timeout).
    if (fault?.holdMs) await sleep(fault.holdMs);
    else if (fault) {
      ctx.store.record({ platform: 'ebay', operation, status: fault.status });
      return reply.code(fault.status).headers(fault.headers ?? {}).send(fault.body ?? ebayError(30500, 'System error', 'API_FULFILLMENT', 'APPLICATION'));
    }
  };
  const render = (o: SandboxOrder, withCancelRequests = false) => renderEbayOrder(o, c.sellerId, withCancelRequests);
  const orderOr404 = (id: string, reply: FastifyReply) => {
    const order = ctx.store.get('ebay', id);
    if (!order) void reply.code(404).send(ebayError(32100, `Invalid Order Id: ${id}`));
    return order;
  };

  app.get<{ Querystring: { filter?: string; limit?: string; offset?: string; orderIds?: string } }>(
    `${BASE}/order`,
    { preHandler: guard('getOrders') },
    async (req, reply) => {
      const q = req.query;
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      const offset = q.offset === undefined ? 0 : Number(q.offset);
      if (!Number.isInteger(limit) || limit < 1 || limit > LIMIT_MAX) return reply.code(400).send(ebayError(31100, `Invalid limit: ${q.limit}`));
      if (!Number.isInteger(offset) || offset < 0) return reply.code(400).send(ebayError(31000, `Invalid offset: ${q.offset}`));
      let list: SandboxOrder[];
      if (q.orderIds) {
        const ids = q.orderIds.split(',');
        if (ids.length > 50) return reply.code(400).send(ebayError(30900, 'Exceeded maximum number of order IDs (the current limit is 50)'));
        list = ids.map((id) => ctx.store.get('ebay', id)).filter((o): o is SandboxOrder => o !== undefined);
      } else {
        const range = parseModifiedFilter(q.filter);
        if ('error' in range) return reply.code(400).send(range.error);
        list = ctx.store.modifiedBetween('ebay', range.from, range.to);
      }
      ctx.store.record({ platform: 'ebay', operation: 'getOrders', params: q, status: 200 });
      const href = (o: number) => `${ctx.baseUrl()}${BASE}/order?${new URLSearchParams({ ...(q.filter ? { filter: q.filter } : {}), limit: String(limit), offset: String(o) })}`;
      return {
        href: href(offset),
        total: list.length,
        limit,
        offset,
        ...(offset + limit < list.length ? { next: href(offset + limit) } : {}),
        ...(offset > 0 ? { prev: href(Math.max(0, offset - limit)) } : {}),
        orders: list.slice(offset, offset + limit).map((o) => render(o)),
      };
    },
  );

  app.get<{ Params: { orderId: string } }>(`${BASE}/order/:orderId`, { preHandler: guard('getOrder') }, async (req, reply) => {
    const order = orderOr404(req.params.orderId, reply);
    if (!order) return reply;
    ctx.store.record({ platform: 'ebay', operation: 'getOrder', params: req.params, status: 200 });
    return render(order, true);
  });

  app.get<{ Params: { orderId: string } }>(
    `${BASE}/order/:orderId/shipping_fulfillment`,
    { preHandler: guard('getShippingFulfillments') },
    async (req, reply) => {
      const order = orderOr404(req.params.orderId, reply);
      if (!order) return reply;
      ctx.store.record({ platform: 'ebay', operation: 'getShippingFulfillments', params: req.params, status: 200 });
      return { fulfillments: order.shipments.map(renderEbayFulfillment), total: order.shipments.length };
    },
  );

  app.get<{ Params: { orderId: string; fulfillmentId: string } }>(
    `${BASE}/order/:orderId/shipping_fulfillment/:fulfillmentId`,
    { preHandler: guard('getShippingFulfillment') },
    async (req, reply) => {
      const order = orderOr404(req.params.orderId, reply);
      if (!order) return reply;
      const shipment = order.shipments.find((s) => s.id === req.params.fulfillmentId);
      if (!shipment) return reply.code(404).send(ebayError(32110, `Invalid shipping fulfillment Id: ${req.params.fulfillmentId}`));
      return renderEbayFulfillment(shipment);
    },
  );

  app.post<{ Params: { orderId: string }; Body: EbayShippingFulfillmentDetails }>(
    `${BASE}/order/:orderId/shipping_fulfillment`,
    { preHandler: guard('createShippingFulfillment') },
    async (req, reply) => {
      const order = orderOr404(req.params.orderId, reply);
      if (!order) return reply;
      const d = req.body;
      const problem = fulfillmentProblem(order, d);
      if (problem) {
        ctx.store.record({ platform: 'ebay', operation: 'createShippingFulfillment', params: req.params, body: d, status: problem.status });
        return reply.code(problem.status).send(problem.body);
      }
      ctx.store.record({ platform: 'ebay', operation: 'createShippingFulfillment', params: req.params, body: d, status: 201 });
      // With a tracking number, the fulfillment's id is the tracking number.
      const id = d.trackingNumber;
      ctx.store.update('ebay', order.id, (o) => {
        o.shipments.push({
          id,
          carrier: d.shippingCarrierCode,
          trackingNumber: d.trackingNumber,
          shippedAt: d.shippedDate ?? new Date().toISOString(),
          lines: d.lineItems.map((l) => ({ lineId: l.lineItemId, quantity: l.quantity })),
        });
        for (const l of d.lineItems) o.lines.find((x) => x.lineId === l.lineItemId)!.quantityShipped += l.quantity;
        o.state = o.lines.every((l) => l.quantityShipped >= l.quantity) ? 'shipped' : 'partially_shipped';
      });
      return reply
        .code(201)
        .header('location', `${ctx.baseUrl()}${BASE}/order/${encodeURIComponent(order.id)}/shipping_fulfillment/${encodeURIComponent(id)}`)
        .send({});
    },
  );
};

/** `lastmodifieddate:[from..]` or `lastmodifieddate:[from..to]` (also creationdate), as eBay parses it. */
function parseModifiedFilter(filter: string | undefined): { from?: string; to?: string } | { error: unknown } {
  if (!filter) return {};
  const m = /^(lastmodifieddate|creationdate):\[(.*?)\.\.(.*)\]$/.exec(filter.trim());
  if (!m) return { error: ebayError(30700, `Invalid filter name: ${filter.split(':')[0]}`) };
  const [, , from, to] = m;
  if (!from) return { error: ebayError(30820, 'Start date is missing') };
  if (Number.isNaN(Date.parse(from)) || (to && Number.isNaN(Date.parse(to)))) return { error: ebayError(30810, 'Invalid date format') };
  if (Date.parse(from) > Date.now() + 60_000) return { error: ebayError(30850, "Start and end dates can't be in the future") };
  // eBay's ranges are inclusive at both ends; modifiedBetween's upper end is exclusive.
  return { from, to: to ? new Date(Date.parse(to) + 1).toISOString() : undefined };
}

function fulfillmentProblem(order: SandboxOrder, d: EbayShippingFulfillmentDetails | undefined): { status: number; body: unknown } | undefined {
  const bad = (errorId: number, message: string, status = 400) => ({ status, body: ebayError(errorId, message) });
  if (!d || !Array.isArray(d.lineItems) || d.lineItems.length === 0) return bad(32600, 'Invalid input data');
  if (!d.trackingNumber !== !d.shippingCarrierCode || (d.trackingNumber && !/^[A-Za-z0-9]+$/.test(d.trackingNumber))) {
    return bad(32300, 'Invalid shipment tracking number or carrier');
  }
  if (d.shippedDate && Number.isNaN(Date.parse(d.shippedDate))) return bad(32500, 'Invalid shipped date');
  if (order.state === 'cancelled') return bad(32100, `Invalid Order Id: ${order.id}`, 409);
  if (order.shipments.some((s) => s.trackingNumber === d.trackingNumber)) return bad(34500, 'Please use PUT operation for updating shipping fulfillment', 409);
  const seen = new Set<string>();
  for (const l of d.lineItems) {
    const line = order.lines.find((x) => x.lineId === l.lineItemId);
    if (!line) return bad(32200, `Invalid line item id: ${l.lineItemId}`);
    if (seen.has(l.lineItemId)) return bad(32210, 'Duplicate line item in the request');
    seen.add(l.lineItemId);
    if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > line.quantity - line.quantityShipped) return bad(32600, 'Invalid input data');
  }
  return undefined;
}
