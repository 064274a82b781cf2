import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders, productionItems, shipments } from '../../db/schema.ts';
import { fulfillmentFeature } from '../../jobs/fulfillment/index.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { redisPrefix, silentLog } from '../support/env.ts';
import { FakeAdapter } from '../support/fake-adapter.ts';

const redis = redisPrefix();

describe('strict input: every bad value is a 400 naming the field, and changes nothing', () => {
  let t: Awaited<ReturnType<typeof startTestWorker>>;
  const adapter = new FakeAdapter('shop-input');
  const pushed: string[] = [];
  adapter.pushShipment = async (s) => {
    pushed.push(s.trackingNumber);
    return { alreadyPresent: false };
  };

  beforeAll(async () => {
    adapter.orders = ['I1', 'I2', 'I3'].map((id) => ({
      id,
      modified: '2026-11-20T10:00:00.000Z',
      shipBy: '2026-11-27T10:00:00.000Z',
      lines: [
        { id: `${id}-1`, sku: '3DP-MINI-DRAGON', qty: 2 },
        { id: `${id}-2`, sku: 'STICKER-PACK', qty: 1 },
      ],
    }));
    t = await startTestWorker({ prefix: `${redis.prefix}-input`, adapters: [adapter], features: [productionFeature, fulfillmentFeature] });
    await pollAccount({ db: t.worker.db, adapter, intake: productionFeature.intake!({ ...t.worker, adapters: [adapter] }), log: silentLog() });
  });
  afterAll(async () => {
    await t.dispose();
    await redis.cleanup();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${t.worker.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const good = { carrier: 'USPS', tracking: '9400100000000000777' };
  const nothingWritten = () => {
    expect(t.worker.db.select().from(shipments).all()).toHaveLength(0);
    expect(pushed).toHaveLength(0);
    expect(t.worker.db.select().from(orders).all().every((o) => o.status === 'unshipped')).toBe(true);
  };

  it.each([
    ['quantity -3', { ...good, items: [{ sku: '3DP-MINI-DRAGON', quantity: -3 }] }, 'items[0].quantity'],
    ['quantity 0', { ...good, items: [{ sku: '3DP-MINI-DRAGON', quantity: 0 }] }, 'items[0].quantity'],
    ['quantity 0.5', { ...good, items: [{ sku: '3DP-MINI-DRAGON', quantity: 0.5 }] }, 'items[0].quantity'],
    ['quantity "abc"', { ...good, items: [{ sku: '3DP-MINI-DRAGON', quantity: 'abc' }] }, 'items[0].quantity'],
    ['quantity 1e308', { ...good, items: [{ sku: '3DP-MINI-DRAGON', quantity: 1e308 }] }, 'items[0].quantity'],
    ['quantity above what is open', { ...good, items: [{ sku: '3DP-MINI-DRAGON', quantity: 3 }] }, 'items[0].quantity'],
    ['quantity "2" in the text form past what is open', { ...good, items: 'STICKER-PACK:2' }, 'items[0].quantity'],
    ['carrier 123', { ...good, carrier: 123 }, 'carrier'],
    ['items {}', { ...good, items: {} }, 'items'],
    ['shippedAt 0001-01-01', { ...good, shippedAt: '0001-01-01' }, 'shippedAt'],
    ['shippedAt +275760-09-13', { ...good, shippedAt: '+275760-09-13' }, 'shippedAt'],
    ['shippedAt 12345', { ...good, shippedAt: 12345 }, 'shippedAt'],
    ['shippedAt next year', { ...good, shippedAt: '2027-12-01' }, 'shippedAt'],
    ['shippedAt 2026-02-31 (no such day)', { ...good, shippedAt: '2026-02-31' }, 'shippedAt'],
    ['a 500,000-character carrier', { ...good, carrier: 'U'.repeat(500_000) }, 'carrier'],
    ['NUL in the carrier', { ...good, carrier: 'USPS\u0000' }, 'carrier'],
    ['ESC in the note', { ...good, note: 'thanks \u001b[31mred' }, 'note'],
    ['RLO in the note', { ...good, note: 'thanks \u202e' }, 'note'],
    ['<script> as carrier', { ...good, carrier: '<script>alert(1)</script>' }, 'carrier'],
    ['a formula as carrier', { ...good, carrier: '=HYPERLINK("http://evil.example","x")' }, 'carrier'],
    ['tracking A---- (one letter left for eBay)', { ...good, tracking: 'A----' }, 'tracking'],
    ['an unknown field', { ...good, refund: true }, 'refund'],
    ['the order in the body', { ...good, order: 'I2' }, 'order'],
    ['a JSON array as body', [good], 'body'],
  ])('shipment with %s', async (_what, body, field) => {
    const res = await post('/api/orders/I1/shipments', body);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: string; field?: string };
    expect(answer.field).toBe(field);
    expect(answer.error.length).toBeLessThan(400);
    nothingWritten();
  });

  it('malformed JSON is a 400 from the parser, not a 500', async () => {
    expect((await post('/api/orders/I1/shipments', '{"carrier": ')).status).toBe(400);
    nothingWritten();
  });

  it('take validates before touching BullMQ: nothing is made active', async () => {
    const res = await post('/api/production/take', { by: { x: 1 } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { field: string }).field).toBe('by');
    expect(await t.worker.queues.production.getJobs(['active'])).toHaveLength(0);
    expect(t.worker.db.select().from(productionItems).all().every((r) => r.state !== 'printing')).toBe(true);
    expect((await post('/api/production/take', { group: 'x'.repeat(65) })).status).toBe(400);
    expect((await post('/api/production/abc/packed', {})).status).toBe(400);
    expect((await post('/api/production/1/failed', { reason: 'jam\u0007' })).status).toBe(400);
  });

  it('take never hands out work of an order that has shipped', async () => {
    // I2 shipped on the marketplace (by hand): the next poll sees it, its queued work leaves the queue.
    adapter.orders = adapter.orders.map((o) => (o.id === 'I2' ? { ...o, modified: '2026-11-21T10:00:00.000Z', status: 'shipped' as const } : o));
    await pollAccount({ db: t.worker.db, adapter, intake: productionFeature.intake!({ ...t.worker, adapters: [adapter] }), log: silentLog() });
    // I3's row is made to look shipped without its job being removed, as an old version left it.
    const i3 = t.worker.db.select().from(orders).all().find((o) => o.externalId === 'I3')!;
    t.worker.db.$client.prepare("update orders set status = 'shipped' where id = ?").run(i3.id);

    const taken: string[] = [];
    for (;;) {
      const res = await post('/api/production/take', {});
      if (res.status === 204) break;
      taken.push(((await res.json()) as { data: { orderRef: string } }).data.orderRef);
    }
    expect(taken).toEqual([`etsy I1`]);
    const rows = t.worker.db.select().from(productionItems).all();
    expect(rows.filter((r) => r.kind === 'print').map((r) => r.state).sort()).toEqual(['printing', 'shipped', 'shipped']);
  });
});
