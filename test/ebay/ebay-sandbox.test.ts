import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEbayAdapter, EBAY_SANDBOX_CREDENTIALS } from '../../adapters/ebay/index.ts';
import type { EbayOrder } from '../../adapters/ebay/wire.ts';
import { accountId, getTokens } from '../../db/accounts.ts';
import { orders } from '../../db/schema.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { assertMatchesSchema } from '../support/spec-schemas.ts';
import { silentLog, tempDatabase } from '../support/env.ts';

const SPEC = 'ebay/sell_fulfillment_v1_oas3.yaml';
const SCHEMA_OF: Record<string, string> = {
  'get-orders-page-1.json': 'components/schemas/OrderSearchPagedCollection',
  'get-orders-page-2.json': 'components/schemas/OrderSearchPagedCollection',
  'create-fulfillment-request-partial.json': 'components/schemas/ShippingFulfillmentDetails',
  'shipping-fulfillments-partial.json': 'components/schemas/ShippingFulfillmentPagedCollection',
};
/** Error bodies: each entry of `errors` is the definition's Error. */
const ERROR_BODIES = ['error-401-invalid-token.json', 'error-429.json'];
const ORDERS = '/sell/fulfillment/v1/order';

describe('eBay fixtures follow the official definition (v1.20.4)', () => {
  const dir = new URL('../fixtures/ebay/', import.meta.url);
  const read = (file: string) => JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  it.each(readdirSync(dir).filter((f) => f in SCHEMA_OF))('fixture %s matches its schema', (file) => {
    assertMatchesSchema(SPEC, SCHEMA_OF[file]!, read(file));
  });
  it.each(ERROR_BODIES)('error fixture %s holds Error objects', (file) => {
    for (const e of read(file).errors) assertMatchesSchema(SPEC, 'components/schemas/Error', e);
  });
  it('the validator does catch a wrong type', () => {
    const page = read('get-orders-page-1.json');
    page.orders[0].lineItems[0].quantity = '1';
    expect(() => assertMatchesSchema(SPEC, SCHEMA_OF['get-orders-page-1.json']!, page)).toThrow(/quantity/);
  });
});

describe('eBay sandbox', () => {
  let sandbox: Sandbox;
  let store: ReturnType<typeof tempDatabase>;
  const auth = { authorization: `Bearer ${EBAY_SANDBOX_CREDENTIALS.userToken}` };
  const adapterFor = (credentials = EBAY_SANDBOX_CREDENTIALS) =>
    createEbayAdapter({ db: store.db, log: silentLog(), credentials, sandboxUrl: sandbox.url, pageSize: 3 });

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: 8 });
    sandbox.context.store.add('ebay', 7);
  });
  afterAll(() => sandbox.close());
  beforeEach(() => (store = tempDatabase()));
  afterEach(() => store.dispose());

  it('answers getOrders, getOrder and fulfillments shaped as the definition says', async () => {
    const list = (await (await fetch(`${sandbox.url}${ORDERS}?limit=200`, { headers: auth })).json()) as { orders: { orderId: string }[] };
    assertMatchesSchema(SPEC, 'components/schemas/OrderSearchPagedCollection', list);
    expect(list.orders).toHaveLength(7);
    const one = await (await fetch(`${sandbox.url}${ORDERS}/${list.orders[0]!.orderId}`, { headers: auth })).json();
    assertMatchesSchema(SPEC, 'components/schemas/Order', one);
    const fulfillments = await (await fetch(`${sandbox.url}${ORDERS}/${list.orders[0]!.orderId}/shipping_fulfillment`, { headers: auth })).json();
    assertMatchesSchema(SPEC, 'components/schemas/ShippingFulfillmentPagedCollection', fulfillments);
    const tooMany = await fetch(`${sandbox.url}${ORDERS}?limit=201`, { headers: auth });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { errors: { errorId: number }[] }).errors[0]!.errorId).toBe(31100);
  });

  it('sends the shapes live eBay sends (uneven precision, discounts, ebay: address codes), and they normalize', async () => {
    const own = await startSandbox({ seed: 21 });
    own.context.store.add('ebay', 40);
    const list = (await (await fetch(`${own.url}${ORDERS}?limit=200`, { headers: auth })).json()) as { orders: EbayOrder[] };
    await own.close();
    assertMatchesSchema(SPEC, 'components/schemas/OrderSearchPagedCollection', list);
    const ours = list.orders;
    const values = ours.flatMap((o) => Object.values(o.pricingSummary!).map((a) => a!.value!));
    expect(values.some((v) => /\.\d$/.test(v))).toBe(true); // "12.5", not "12.50"
    const coded = ours.find((o) => o.fulfillmentStartInstructions![0]!.shippingStep!.shipTo!.contactAddress!.addressLine1!.startsWith('ebay:'))!;
    const discounted = ours.find((o) => o.pricingSummary!.priceDiscount)!;
    expect(coded).toBeDefined();
    expect(discounted).toBeDefined();

    const adapter = adapterFor();
    const codedOrder = adapter.normalize(coded);
    const street = coded.fulfillmentStartInstructions![0]!.shippingStep!.shipTo!.contactAddress!;
    expect(codedOrder.shippingAddress).toMatchObject({ line1: street.addressLine1, line2: street.addressLine2 });
    const d = adapter.normalize(discounted);
    const p = discounted.pricingSummary!;
    expect(p.priceDiscount!.value!.startsWith('-')).toBe(true);
    expect(d.totalMinor).toBe(d.subtotalMinor! + d.shippingMinor! + d.taxMinor! + Math.round(Number(p.priceDiscount!.value) * 100));
    for (const o of ours) expect(() => adapter.normalize(o)).not.toThrow();
    await adapter.close?.();
  });

  it('flows through the same adapter, refreshing a stale token through the identity endpoint', async () => {
    const adapter = adapterFor({ ...EBAY_SANDBOX_CREDENTIALS, userToken: 'v^1.1#expired-token' });
    const before = sandbox.context.store.calls.filter((c) => c.operation === 'refreshToken').length;
    const s = await pollAccount({ db: store.db, adapter, log: silentLog() });
    await adapter.close?.();
    expect(s).toMatchObject({ pages: 3, inserted: 7, quarantined: 0 });
    expect(sandbox.context.store.calls.filter((c) => c.operation === 'refreshToken').length).toBe(before + 1);
    expect(getTokens(store.db, accountId('ebay', EBAY_SANDBOX_CREDENTIALS.sellerId))?.accessToken).toMatch(/^v\^1\.1#i\^1#sandbox-/);
  });

  it('pushes a partial then a final fulfillment; a retry sends nothing', async () => {
    const [order] = sandbox.context.store.add('ebay', 1, 'unshipped');
    sandbox.context.store.update('ebay', order!.id, (o) => {
      o.lines = [o.lines[0]!, { ...o.lines[0]!, lineId: `${o.lines[0]!.lineId}9`, quantity: 2 }];
    });
    const adapter = adapterFor();
    const lines = order!.lines;
    const base = { orderExternalId: order!.id, carrier: 'UPS', shippedAt: new Date().toISOString(), retry: false };
    const first = await adapter.pushShipment({ ...base, shipmentId: 'a', trackingNumber: '1Z999AA10123456784', lines: [{ externalLineId: lines[1]!.lineId, quantity: 1 }] });
    expect(first).toEqual({ alreadyPresent: false, remoteId: '1Z999AA10123456784' });
    expect(sandbox.context.store.get('ebay', order!.id)!.state).toBe('partially_shipped');
    const rest = [
      { externalLineId: lines[0]!.lineId, quantity: lines[0]!.quantity },
      { externalLineId: lines[1]!.lineId, quantity: 1 },
    ];
    await adapter.pushShipment({ ...base, shipmentId: 'b', trackingNumber: '1Z999AA10123456785', lines: rest });
    expect(sandbox.context.store.get('ebay', order!.id)!.state).toBe('shipped');
    const posts = () => sandbox.context.store.calls.filter((c) => c.operation === 'createShippingFulfillment' && (c.params as { orderId: string }).orderId === order!.id);
    expect(posts()).toHaveLength(2);
    expect(await adapter.pushShipment({ ...base, shipmentId: 'b', trackingNumber: '1Z999AA10123456785', lines: rest, retry: true })).toEqual({
      alreadyPresent: true,
      remoteId: '1Z999AA10123456785',
    });
    expect(posts()).toHaveLength(2);
    await adapter.close?.();
  });

  it('shows a cancel request as a flag on the stored order', async () => {
    const [order] = sandbox.context.store.add('ebay', 1, 'unshipped');
    await fetch(`${sandbox.url}/__sandbox/orders/ebay/${order!.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cancelRequested: true }),
    });
    const adapter = adapterFor();
    await pollAccount({ db: store.db, adapter, log: silentLog() });
    await adapter.close?.();
    const row = store.db.select().from(orders).all().find((o) => o.externalId === order!.id)!;
    expect(row.flags).toEqual(['cancel_requested']);
    expect(row.status).toBe('unshipped');
  });

  it('answers 429 past the rate it enforces', async () => {
    // The earlier tests spent this bucket; on a fast run too little time passed since to refill it.
    sandbox.context.buckets.refill();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await fetch(`${sandbox.url}${ORDERS}?limit=1`, { headers: auth })).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
  });
});
