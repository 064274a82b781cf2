import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { AMAZON_SANDBOX_CREDENTIALS, amazonFactory, createAmazonAdapter } from '../../adapters/amazon/index.ts';
import { getAccount } from '../../db/accounts.ts';
import { orderItems, orders } from '../../db/schema.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { assertMatchesSchema } from '../support/spec-schemas.ts';
import { silentLog, tempDatabase } from '../support/env.ts';

const ORDERS = 'amazon/orders_2026-01-01.json';

/** Calls the sandbox the way the library does, minus the library: to look at raw answers. */
async function token(url: string) {
  const res = await fetch(`${url}/auth/o2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'refresh_token',
      refresh_token: AMAZON_SANDBOX_CREDENTIALS.refreshToken,
      client_id: AMAZON_SANDBOX_CREDENTIALS.clientId,
      client_secret: AMAZON_SANDBOX_CREDENTIALS.clientSecret,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('Amazon sandbox, through the same adapter in sandbox mode', () => {
  let sandbox: Sandbox;
  let store: ReturnType<typeof tempDatabase>;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed: 11 });
    sandbox.context.store.add('amazon', 12);
    sandbox.context.store.add('amazon', 3, 'pending');
    sandbox.context.store.add('amazon', 2, 'cancelled');
    store = tempDatabase();
  });
  afterAll(async () => {
    store.dispose();
    await sandbox.close();
  });

  it('answers searchOrders and getOrder exactly as the 2026-01-01 models, paged by nextToken', async () => {
    const access = await token(sandbox.url);
    const before = new Date(Date.now() - 125_000).toISOString();
    const query = `lastUpdatedAfter=2020-01-01T00:00:00Z&lastUpdatedBefore=${before}&maxResultsPerPage=10&includedData=BUYER,RECIPIENT,FULFILLMENT,PACKAGES,PROCEEDS`;
    const res = await fetch(`${sandbox.url}/orders/2026-01-01/orders?${query}`, { headers: { 'x-amz-access-token': access } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-ratelimit-limit')).toBe('0.0056');
    const page1 = (await res.json()) as { orders: { orderId: string }[]; pagination?: { nextToken?: string } };
    assertMatchesSchema(ORDERS, 'definitions/SearchOrdersResponse', page1);
    expect(page1.orders).toHaveLength(10);
    const res2 = await fetch(`${sandbox.url}/orders/2026-01-01/orders?${query}&paginationToken=${page1.pagination!.nextToken}`, { headers: { 'x-amz-access-token': access } });
    const page2 = (await res2.json()) as { orders: { orderId: string }[]; pagination?: unknown };
    assertMatchesSchema(ORDERS, 'definitions/SearchOrdersResponse', page2);
    expect(page2.orders).toHaveLength(7);
    expect(page2.pagination).toBeUndefined();

    const one = await fetch(`${sandbox.url}/orders/2026-01-01/orders/${page1.orders[0]!.orderId}?includedData=PACKAGES,FULFILLMENT`, { headers: { 'x-amz-access-token': access } });
    assertMatchesSchema(ORDERS, 'definitions/GetOrderResponse', await one.json());

    const early = await fetch(`${sandbox.url}/orders/2026-01-01/orders?lastUpdatedAfter=2020-01-01T00:00:00Z&lastUpdatedBefore=${new Date().toISOString()}`, { headers: { 'x-amz-access-token': access } });
    expect(early.status).toBe(400);
    assertMatchesSchema(ORDERS, 'definitions/ErrorList', await early.json());
    const noToken = await fetch(`${sandbox.url}/orders/2026-01-01/orders/${page1.orders[0]!.orderId}`, { headers: { 'x-amz-access-token': 'Atza|forged' } });
    expect(noToken.status).toBe(403);
  });

  it('polls every sandbox order into SQLite through amazon-sp-api and the sandbox agent, Custom text included', async () => {
    const callsBefore = sandbox.context.store.calls.length;
    const adapter = amazonFactory.forSandbox({ db: store.db, log: silentLog(), sandboxUrl: sandbox.url, rateLimitPerMinute: 1_000_000, cacheTtlSeconds: 300 });
    const s = await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(s).toMatchObject({ inserted: 17, quarantined: 0 });
    expect(getAccount(store.db, 'amazon:SANDBOX-AMAZON')?.healthy).toBe(true);
    const stored = store.db.select().from(orders).all();
    expect(new Set(stored.map((o) => o.currency))).toEqual(new Set([...sandbox.context.store.orders.amazon.values()].map((o) => o.currency)));
    const pending = [...sandbox.context.store.orders.amazon.values()].filter((o) => o.state === 'pending').length;
    expect(pending).toBeGreaterThanOrEqual(3);
    expect(stored.filter((o) => o.status === 'pending')).toHaveLength(pending);
    expect(stored.filter((o) => o.status === 'pending').every((o) => o.paymentStatus === 'pending')).toBe(true);

    const personalized = [...sandbox.context.store.orders.amazon.values()].flatMap((o) => o.lines.filter((l) => l.personalization !== undefined));
    expect(personalized.length).toBeGreaterThan(0);
    const items = store.db.select().from(orderItems).all();
    for (const line of personalized) expect(items.find((i) => i.externalLineId === line.lineId)?.personalization).toBe(line.personalization);
    const calls = sandbox.context.store.calls.slice(callsBefore);
    expect(calls.filter((c) => c.operation === 'lwaToken')).toHaveLength(1);
    expect(calls.filter((c) => c.operation === 'downloadCustomization' && c.status === 200)).toHaveLength(personalized.length);

    // A shipment through the same client: recorded by the sandbox, shown on the next poll.
    const target = stored.find((o) => o.status === 'unshipped')!;
    const lines = sandbox.context.store.get('amazon', target.externalId)!.lines;
    const shipment = {
      shipmentId: 'ship-sbx-1',
      orderExternalId: target.externalId,
      carrier: 'Pigeon Express',
      trackingNumber: 'PX123',
      shippedAt: new Date().toISOString(),
      lines: [{ externalLineId: lines[0]!.lineId, quantity: 1 }],
      retry: false,
    };
    const result = await adapter.pushShipment(shipment);
    expect(result.alreadyPresent).toBe(false);
    const confirm = sandbox.context.store.calls.find((c) => c.operation === 'confirmShipment')!;
    expect(confirm.status).toBe(204);
    assertMatchesSchema('amazon/ordersV0.json', 'definitions/ConfirmShipmentRequest', confirm.body);
    expect(confirm.body).toMatchObject({ packageDetail: { carrierCode: 'Other', carrierName: 'Pigeon Express', trackingNumber: 'PX123' } });
    // The same shipment again, as after a crash before it was recorded: found, not re-sent.
    const again = await adapter.pushShipment({ ...shipment, retry: true });
    expect(again).toEqual({ alreadyPresent: true, remoteId: result.remoteId });
    expect(sandbox.context.store.calls.filter((c) => c.operation === 'confirmShipment')).toHaveLength(1);

    const next = await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(next.updated).toBeGreaterThanOrEqual(1);
    const after = store.db.select().from(orders).all().find((o) => o.externalId === target.externalId)!;
    expect(after.status).toBe(lines.every((l) => l.quantityShipped >= l.quantity) ? 'shipped' : 'partially_shipped');
    await adapter.close?.();
  });

  it('a confirmation whose answer is held past the timeout is sent once; the next attempt finds it and sends nothing', async () => {
    const db = tempDatabase();
    const adapter = createAmazonAdapter({
      db: db.db,
      log: silentLog(),
      credentials: AMAZON_SANDBOX_CREDENTIALS,
      sandboxUrl: sandbox.url,
      rateLimitPerMinute: 1_000_000,
      retry: { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 2, requestTimeoutMs: 300 },
    });
    try {
      const target = [...sandbox.context.store.orders.amazon.values()].find((o) => o.state === 'unshipped' && o.shipments.length === 0)!;
      const push = {
        shipmentId: 'ship-held-1',
        orderExternalId: target.id,
        carrier: 'USPS',
        trackingNumber: '9400100000000000881',
        shippedAt: new Date().toISOString(),
        lines: [{ externalLineId: target.lines[0]!.lineId, quantity: 1 }],
        retry: false,
      };
      const confirms = () => sandbox.context.store.calls.filter((c) => c.operation === 'confirmShipment' && (c.params as { orderId?: string })?.orderId === target.id);
      // Amazon carries the confirmation out, its answer comes 3 s later: far past the client's 300 ms.
      sandbox.context.store.faults.push({ platform: 'amazon', operation: 'confirmShipment', status: 204, holdMs: 3_000, remaining: 1 });
      await expect(adapter.pushShipment(push)).rejects.toThrow(/timeout/i);
      await sleep(3_300);
      expect(confirms()).toHaveLength(1); // not re-sent by the client
      expect(await adapter.pushShipment({ ...push, retry: true })).toMatchObject({ alreadyPresent: true });
      expect(confirms()).toHaveLength(1);
    } finally {
      await adapter.close?.();
      db.dispose();
    }
  });

  it('enforces the usage plan with real 429s', async () => {
    const access = await token(sandbox.url);
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) {
      const res = await fetch(`${sandbox.url}/orders/2026-01-01/orders/none`, { headers: { 'x-amz-access-token': access } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('x-amzn-ratelimit-limit')).toBe('0.5');
        assertMatchesSchema(ORDERS, 'definitions/ErrorList', await res.json());
      }
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });
});
