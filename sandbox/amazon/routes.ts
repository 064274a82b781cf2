import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AMAZON_SANDBOX_CREDENTIALS } from '../../adapters/amazon/index.ts';
import { AMAZON_LIMITS } from '../../adapters/amazon/limits.ts';
import type { ConfirmShipmentRequest } from '../../adapters/amazon/wire.ts';
import type { SandboxOrder } from '../generator.ts';
import type { RegisterPlatformRoutes } from '../platforms.ts';
import { AMAZON_CLOCK_LAG_MS, CUSTOMIZATION_PATH, customizationArchive, fulfillmentStatus, marketplaceOf, renderAmazonOrder, renderMarketplaceParticipations } from './render.ts';

type Operation = 'searchOrders' | 'getOrder' | 'confirmShipment' | 'createRestrictedDataToken' | 'getMarketplaceParticipations';
/** The restricted data elements a token may be asked for (tokens_2021-03-01.json, RestrictedResource). */
const DATA_ELEMENTS = ['buyerInfo', 'shippingAddress', 'buyerTaxInformation'];
const INCLUDED_DATA = ['BUYER', 'RECIPIENT', 'PROCEEDS', 'EXPENSE', 'PROMOTION', 'CANCELLATION', 'FULFILLMENT', 'PACKAGES', 'TAX', 'PAYMENT', 'FULFILLMENT_ORDERS'];
const MIN_SETTLE_MS = 120_000;

/** Query arrays arrive comma-joined (amazon-sp-api) or repeated. */
const list = (v: unknown): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean);

interface PageToken {
  after: string;
  before: string;
  offset: number;
}
const encodeToken = (t: PageToken) => Buffer.from(JSON.stringify(t)).toString('base64url');
function decodeToken(token: string): PageToken | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageToken;
    return typeof t.offset === 'number' && typeof t.after === 'string' && typeof t.before === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Amazon SP-API as the worker uses it, reached through the adapter's sandbox agent whatever host
 * the library dials: LWA refresh-token grant, searchOrders and getOrder (2026-01-01, includedData,
 * nextToken paging), v0 confirmShipment (recorded for tests to inspect), createRestrictedDataToken,
 * the seller's getMarketplaceParticipations (sellers v1) and the Amazon Custom ZIP downloads. Every operation enforces its published usage plan with real
 * 429s and reports it in x-amzn-RateLimit-Limit.
 */
export const amazonRoutes: RegisterPlatformRoutes = (app, ctx) => {
  const creds = AMAZON_SANDBOX_CREDENTIALS;
  const validAccess = new Set<string>();
  const scale = () => ctx.options.rateScale ?? 1;
  const errors = (reply: FastifyReply, status: number, code: string, message: string, details?: string) =>
    reply.code(status).send({ errors: [{ code, message, ...(details ? { details } : {}) }] });

  app.post<{ Body: Record<string, string> }>('/auth/o2/token', async (req, reply) => {
    const b = req.body ?? {};
    const fault = ctx.store.takeFault('amazon', 'lwaToken');
    ctx.store.record({ platform: 'amazon', operation: 'lwaToken', status: fault?.status ?? 200 });
    if (fault) return reply.code(fault.status).headers(fault.headers ?? {}).send(fault.body ?? { error: 'server_error', error_description: `injected ${fault.status}` });
    if (b.client_id !== creds.clientId || b.client_secret !== creds.clientSecret) {
      return reply.code(401).send({ error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    if (b.grant_type !== 'refresh_token' || b.refresh_token !== creds.refreshToken) {
      return reply.code(400).send({ error: 'invalid_grant', error_description: 'The request has an invalid grant parameter : refresh_token' });
    }
    const access = `Atza|sandbox-${randomBytes(16).toString('hex')}`;
    validAccess.add(access);
    return { access_token: access, refresh_token: creds.refreshToken, token_type: 'bearer', expires_in: 3600 };
  });

  /** Access token, usage plan and injected faults, the same for every SP-API operation. */
  const guard = (operation: Operation) => async (req: FastifyRequest, reply: FastifyReply) => {
    const limit = AMAZON_LIMITS[operation];
    reply.headers({ 'x-amzn-RequestId': randomUUID(), 'x-amzn-RateLimit-Limit': String(limit.ratePerSecond * scale()) });
    if (!validAccess.has(String(req.headers['x-amz-access-token'] ?? ''))) {
      ctx.store.record({ platform: 'amazon', operation, status: 403 });
      return errors(reply, 403, 'Unauthorized', 'Access to requested resource is denied.', 'The access token you provided is revoked, malformed or invalid.');
    }
    if (ctx.buckets.take(`amazon:${operation}`, limit.ratePerSecond, limit.burst) > 0) {
      ctx.store.record({ platform: 'amazon', operation, status: 429 });
      return errors(reply, 429, 'QuotaExceeded', 'You exceeded your quota for the requested resource.');
    }
    const fault = ctx.store.takeFault('amazon', operation);
    // A held answer: the request is carried out, its answer only comes after holdMs (past a client's timeout).
    if (fault?.holdMs) await sleep(fault.holdMs);
    else if (fault) {
      ctx.store.record({ platform: 'amazon', operation, status: fault.status });
      return reply.code(fault.status).headers(fault.headers ?? {}).send(fault.body ?? { errors: [{ code: 'InternalFailure', message: `injected ${fault.status}` }] });
    }
  };

  const includedOf = (q: { includedData?: unknown }) => new Set(list(q.includedData));
  const badIncluded = (q: { includedData?: unknown }) => list(q.includedData).find((v) => !INCLUDED_DATA.includes(v));

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>(
    '/orders/2026-01-01/orders',
    { preHandler: guard('searchOrders') },
    async (req, reply) => {
      const q = req.query;
      const bad = (details: string) => {
        ctx.store.record({ platform: 'amazon', operation: 'searchOrders', params: q, status: 400 });
        return errors(reply, 400, 'InvalidInput', 'Invalid input', details);
      };
      if (badIncluded(q)) return bad(`includedData ${badIncluded(q)} is not supported`);
      const size = q.maxResultsPerPage === undefined ? 100 : Number(q.maxResultsPerPage);
      if (!Number.isInteger(size) || size < 1 || size > 100) return bad('maxResultsPerPage must be between 1 and 100');
      let window: PageToken;
      if (q.paginationToken) {
        const t = decodeToken(String(q.paginationToken));
        if (!t) return bad('paginationToken is invalid');
        window = t;
      } else {
        const after = (q.lastUpdatedAfter ?? q.createdAfter) as string | undefined;
        if (!after || (q.lastUpdatedAfter && q.createdAfter)) return bad('Exactly one of createdAfter and lastUpdatedAfter must be provided');
        const latest = Date.now() - MIN_SETTLE_MS;
        const beforeParam = (q.lastUpdatedBefore ?? q.createdBefore) as string | undefined;
        const before = beforeParam ? Date.parse(beforeParam) : latest;
        if (Number.isNaN(Date.parse(after)) || Number.isNaN(before)) return bad('dates must be ISO 8601');
        if (before > latest) return bad('lastUpdatedBefore must be at least two minutes before the time of the request');
        if (before < Date.parse(after)) return bad('lastUpdatedBefore must be equal to or after lastUpdatedAfter');
        window = { after: new Date(after).toISOString(), before: new Date(before).toISOString(), offset: 0 };
      }
      const marketplaces = list(q.marketplaceIds);
      const fulfilledBy = list(q.fulfilledBy);
      const statuses = list(q.fulfillmentStatuses);
      const byCreation = !!q.createdAfter;
      // The sandbox's Amazon clock lags its store (see render.ts): shift the window back.
      const from = Date.parse(window.after) + AMAZON_CLOCK_LAG_MS;
      const to = Date.parse(window.before) + AMAZON_CLOCK_LAG_MS;
      const matches = (byCreation ? [...ctx.store.orders.amazon.values()].filter((o) => inRange(o.createdAt, from, to)) : ctx.store.modifiedBetween('amazon', new Date(from).toISOString(), new Date(to + 1).toISOString()))
        .filter((o) => marketplaces.length === 0 || marketplaces.includes(marketplaceOf(o).id))
        .filter((o) => fulfilledBy.length === 0 || fulfilledBy.includes('MERCHANT'))
        .filter((o) => statuses.length === 0 || statuses.includes(fulfillmentStatus(o)));
      const page = matches.slice(window.offset, window.offset + size);
      const next = window.offset + size < matches.length ? encodeToken({ ...window, offset: window.offset + size }) : undefined;
      ctx.store.record({ platform: 'amazon', operation: 'searchOrders', params: q, status: 200 });
      const included = includedOf(q);
      return {
        orders: page.map((o) => renderAmazonOrder(o, included)),
        ...(next ? { pagination: { nextToken: next } } : {}),
        [byCreation ? 'createdBefore' : 'lastUpdatedBefore']: window.before,
      };
    },
  );

  app.get<{ Params: { orderId: string }; Querystring: Record<string, string | string[] | undefined> }>(
    '/orders/2026-01-01/orders/:orderId',
    { preHandler: guard('getOrder') },
    async (req, reply) => {
      if (badIncluded(req.query)) return errors(reply, 400, 'InvalidInput', 'Invalid input', `includedData ${badIncluded(req.query)} is not supported`);
      const order = ctx.store.get('amazon', req.params.orderId);
      ctx.store.record({ platform: 'amazon', operation: 'getOrder', params: { orderId: req.params.orderId, ...req.query }, status: order ? 200 : 404 });
      if (!order) return errors(reply, 404, 'NotFound', `Order ${req.params.orderId} was not found`);
      return { order: renderAmazonOrder(order, includedOf(req.query)) };
    },
  );

  app.post<{ Params: { orderId: string }; Body: ConfirmShipmentRequest }>(
    '/orders/v0/orders/:orderId/shipmentConfirmation',
    { preHandler: guard('confirmShipment') },
    async (req, reply) => {
      const order = ctx.store.get('amazon', req.params.orderId);
      const problem = order ? confirmProblem(order, req.body) : `Order ${req.params.orderId} was not found`;
      ctx.store.record({ platform: 'amazon', operation: 'confirmShipment', params: { orderId: req.params.orderId }, body: req.body, status: problem ? (order ? 400 : 404) : 204 });
      if (problem) return errors(reply, order ? 400 : 404, order ? 'InvalidInput' : 'NotFound', problem);
      const d = req.body.packageDetail;
      ctx.store.update('amazon', order!.id, (o) => {
        o.shipments.push({
          id: d.packageReferenceId,
          carrier: d.carrierCode === 'Other' ? d.carrierName! : d.carrierCode,
          trackingNumber: d.trackingNumber,
          shippedAt: new Date(d.shipDate).toISOString(),
          lines: d.orderItems.map((i) => ({ lineId: i.orderItemId, quantity: i.quantity })),
        });
        for (const i of d.orderItems) o.lines.find((l) => l.lineId === i.orderItemId)!.quantityShipped += i.quantity;
        o.state = o.lines.every((l) => l.quantityShipped >= l.quantity) ? 'shipped' : 'partially_shipped';
      });
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { restrictedResources?: { method?: string; path?: string; dataElements?: string[] }[] } }>(
    '/tokens/2021-03-01/restrictedDataToken',
    { preHandler: guard('createRestrictedDataToken') },
    async (req, reply) => {
      const resources = req.body?.restrictedResources;
      const ok =
        Array.isArray(resources) &&
        resources.length > 0 &&
        resources.length <= 50 &&
        resources.every((r) => r?.method && r.path && (r.dataElements ?? []).every((d) => DATA_ELEMENTS.includes(d)));
      ctx.store.record({ platform: 'amazon', operation: 'createRestrictedDataToken', body: req.body, status: ok ? 200 : 400 });
      if (!ok) return errors(reply, 400, 'InvalidInput', `restrictedResources must list 1 to 50 resources with method and path, and dataElements among ${DATA_ELEMENTS.join(', ')}`);
      const token = `Atz.sprdt|sandbox-${randomBytes(16).toString('hex')}`;
      validAccess.add(token);
      return { restrictedDataToken: token, expiresIn: 3600 };
    },
  );

  app.get('/sellers/v1/marketplaceParticipations', { preHandler: guard('getMarketplaceParticipations') }, async () => {
    ctx.store.record({ platform: 'amazon', operation: 'getMarketplaceParticipations', status: 200 });
    return renderMarketplaceParticipations();
  });

  app.get<{ Params: { orderId: string; orderItemId: string } }>(`${CUSTOMIZATION_PATH}/:orderId/:orderItemId`, async (req, reply) => {
    const order = ctx.store.get('amazon', req.params.orderId);
    const line = order?.lines.find((l) => l.lineId === req.params.orderItemId && l.personalization !== undefined);
    const fault = ctx.store.takeFault('amazon', 'downloadCustomization');
    ctx.store.record({ platform: 'amazon', operation: 'downloadCustomization', params: req.params, status: fault?.status ?? (line ? 200 : 404) });
    if (fault) return reply.code(fault.status).type('application/xml').send(fault.body ?? '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>injected</Message></Error>');
    // S3 answers a missing object with an XML error document.
    if (!order || !line) return reply.code(404).type('application/xml').send('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    return reply.type('application/zip').send(Buffer.from(customizationArchive(order, line)));
  });
};

const inRange = (iso: string, from: number, to: number) => {
  const t = Date.parse(iso);
  return t >= from && t <= to;
};

/** Why Amazon would refuse this confirmation, or undefined. */
function confirmProblem(o: SandboxOrder, body: ConfirmShipmentRequest | undefined): string | undefined {
  const d = body?.packageDetail;
  if (!body?.marketplaceId || !d) return 'marketplaceId and packageDetail are required';
  if (body.marketplaceId !== marketplaceOf(o).id) return `marketplaceId ${body.marketplaceId} is not the order's marketplace`;
  for (const f of ['packageReferenceId', 'carrierCode', 'trackingNumber', 'shipDate'] as const) if (!d[f]) return `packageDetail.${f} is required`;
  if (!/^[1-9]\d*$/.test(d.packageReferenceId)) return 'packageDetail.packageReferenceId must be a positive number';
  if (d.carrierCode === 'Other' && !d.carrierName) return 'packageDetail.carrierName is required when carrierCode is Other';
  if (Number.isNaN(Date.parse(d.shipDate))) return 'packageDetail.shipDate must be ISO 8601';
  const status = fulfillmentStatus(o);
  if (status !== 'UNSHIPPED' && status !== 'PARTIALLY_SHIPPED') return `The order is ${status} and cannot be confirmed`;
  if (o.shipments.some((s) => s.id === d.packageReferenceId)) return `packageReferenceId ${d.packageReferenceId} was already confirmed for this order`;
  if (!Array.isArray(d.orderItems) || d.orderItems.length === 0) return 'packageDetail.orderItems is required';
  for (const i of d.orderItems) {
    const line = o.lines.find((l) => l.lineId === i?.orderItemId);
    if (!line) return `orderItemId ${i?.orderItemId} is not in the order`;
    if (!Number.isInteger(i.quantity) || i.quantity < 1 || i.quantity > line.quantity - line.quantityShipped) {
      return `quantity ${i.quantity} for ${i.orderItemId} exceeds what is left to ship (${line.quantity - line.quantityShipped})`;
    }
  }
  return undefined;
}
