import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShipmentPush, ShipmentPushResult } from '../../adapters/types.ts';
import { createEtsyAdapter, ETSY_SANDBOX_CREDENTIALS } from '../../adapters/etsy/index.ts';
import { orders, shipments } from '../../db/schema.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { createFulfillmentFeature, sweepShipments } from '../../jobs/fulfillment/index.ts';
import { pushShipmentJob } from '../../jobs/fulfillment/push.ts';
import { updateShipment } from '../../db/shipments.ts';
import { importShipmentsCsv, type CsvRowResult } from '../../jobs/fulfillment/csv-import.ts';
import { recordShipment, type ShipmentInput } from '../../jobs/fulfillment/record.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { ConfigurationError, PermanentRemoteError, TransientError } from '../../src/errors.ts';
import { FakeAdapter, type FakeRawOrder } from '../support/fake-adapter.ts';
import { REDIS_URL, redisPrefix, silentLog } from '../support/env.ts';
import { startSqliteWriter } from '../support/sqlite-writer.ts';
import { startTestWorker } from '../foundation/support-worker.ts';

/** A marketplace that keeps the tracking it received and can fail the way real ones do. */
class Marketplace extends FakeAdapter {
  uploads: ShipmentPush[] = [];
  failNext?: 'after-send' | 'refuse' | 'credentials';
  /** Hold the marketplace's answer this long (a slow create). */
  holdMs = 0;
  override async pushShipment(s: ShipmentPush): Promise<ShipmentPushResult> {
    if (this.holdMs) await sleep(this.holdMs);
    if (s.retry && this.uploads.some((u) => u.trackingNumber === s.trackingNumber)) return { alreadyPresent: true };
    if (this.failNext === 'credentials') {
      this.failNext = undefined;
      throw new ConfigurationError('etsy', "Etsy refused the app's API key (403: Shared secret is required in x-api-key header.); set ETSY_SHARED_SECRET");
    }
    if (this.failNext === 'refuse') {
      this.failNext = undefined;
      throw new PermanentRemoteError('etsy createReceiptShipment was refused (409): Receipt is canceled');
    }
    this.uploads.push(s);
    if (this.failNext === 'after-send') {
      this.failNext = undefined;
      throw new TransientError('socket hang up after the upload went out');
    }
    return { alreadyPresent: false, remoteId: `remote-${this.uploads.length}` };
  }
}

const redis = redisPrefix();
afterAll(() => redis.cleanup());

const order = (id: string): FakeRawOrder => ({
  id,
  modified: '2026-11-20T10:00:00.000Z',
  lines: [
    { id: `${id}-1`, sku: '3DP-PLANTER-S', qty: 3 },
    { id: `${id}-2`, sku: 'STICKER-PACK', qty: 1 },
  ],
});

let t: Awaited<ReturnType<typeof startTestWorker>>;
const market = new Marketplace('ship-shop');
beforeAll(async () => {
  market.orders = ['O1', 'O2', 'O3', 'O4', 'O5', 'O6', 'C1', 'C2', 'C3', 'X1', 'S1', 'D1', 'LEASE1'].map(order);
  market.pageSize = 100;
  t = await startTestWorker({ prefix: `${redis.prefix}-ship`, adapters: [market], features: [productionFeature, createFulfillmentFeature({ retryDelayMs: 20 })] });
  const intake = productionFeature.intake!(t.worker);
  await pollAccount({ db: t.worker.db, adapter: market, intake, log: silentLog() });
});
afterAll(() => t.dispose());

const api = (path: string, body?: unknown) =>
  fetch(`${t.worker.httpUrl}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
type View = { status: string; items: { sku: string; quantityShipped: number; production: { state: string } | null }[]; shipments: { pushState: string; error: string | null; trackingNumber: string }[] };
const view = async (id: string) => (await (await api(`/api/orders/${id}`)).json()) as View;
async function until(fn: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await fn()) return;
    await sleep(50);
  }
  throw new Error(`timed out: ${what}`);
}
const uploadsOf = (tracking: string) => market.uploads.filter((u) => u.trackingNumber === tracking).length;

describe('shipments', () => {
  it('API: records, pushes exactly once, and updates the order and its production', async () => {
    const res = await api('/api/orders/O1/shipments', { carrier: 'USPS', tracking: '9400 1000 0000 0000 001' });
    expect(res.status).toBe(201);
    await until(async () => (await view('O1')).shipments[0]?.pushState === 'pushed', 'push');
    const v = await view('O1');
    expect(v.status).toBe('shipped');
    expect(v.items.map((i) => i.quantityShipped)).toEqual([3, 1]);
    expect(v.items.map((i) => i.production?.state)).toEqual(['shipped', 'shipped']);
    expect(uploadsOf('9400100000000000001')).toBe(1);
    expect(market.uploads.at(-1)).toMatchObject({ orderExternalId: 'O1', carrier: 'USPS', retry: false });
  });

  it('a partial then a final shipment', async () => {
    await api('/api/orders/O2/shipments', { carrier: 'ups', tracking: '1Z0000000000000002', items: '3DP-PLANTER-S:2' });
    await until(async () => (await view('O2')).shipments[0]?.pushState === 'pushed', 'partial push');
    expect((await view('O2')).status).toBe('partially_shipped');
    const over = await api('/api/orders/O2/shipments', { carrier: 'ups', tracking: '1Z0000000000000003', items: '3DP-PLANTER-S:2' });
    expect(((await over.json()) as { error: string }).error).toBe('items[0].quantity: 2 x 3DP-PLANTER-S is more than the 1 not yet shipped on etsy order O2');
    await api('/api/orders/O2/shipments', { carrier: 'ups', tracking: '1Z0000000000000004' });
    await until(async () => (await view('O2')).status === 'shipped', 'final push');
    const lines = market.uploads.filter((u) => u.orderExternalId === 'O2').map((u) => u.lines);
    expect(lines).toEqual([[{ externalLineId: 'O2-1', quantity: 2 }], [{ externalLineId: 'O2-1', quantity: 1 }, { externalLineId: 'O2-2', quantity: 1 }]]);
  });

  it('a crash after the upload went out and before it was recorded uploads nothing twice', async () => {
    market.failNext = 'after-send';
    await api('/api/orders/O3/shipments', { carrier: 'fedex', tracking: '7700000000003' });
    await until(async () => (await view('O3')).shipments[0]?.pushState === 'pushed', 'push after retry');
    expect(uploadsOf('7700000000003')).toBe(1);
  });

  it('a permanent refusal becomes a visible failed shipment with the reason', async () => {
    market.failNext = 'refuse';
    await api('/api/orders/O4/shipments', { carrier: 'dhl', tracking: 'JD0000000000000004' });
    await until(async () => (await view('O4')).shipments[0]?.pushState === 'failed', 'failure');
    const v = await view('O4');
    expect(v.shipments[0]!.error).toBe('etsy createReceiptShipment was refused (409): Receipt is canceled');
    expect(v.status).toBe('unshipped');
    const job = await t.worker.queues.fulfillment.getJob(`shipment__${t.worker.db.select().from(shipments).all().find((s) => s.trackingNumber === 'JD0000000000000004')!.id}`);
    expect(await job!.getState()).toBe('failed'); // Bull Board shows it
  });

  it('a shipment refused for the account waits, and goes out once the account polls healthy again', async () => {
    market.failNext = 'credentials';
    await api('/api/orders/X1/shipments', { carrier: 'usps', tracking: '9400100000000000991' });
    await until(async () => (await view('X1')).shipments[0]?.error?.startsWith('waiting for the account') === true, 'held');
    expect((await view('X1')).shipments[0]!.pushState).toBe('pending');
    expect(uploadsOf('9400100000000000991')).toBe(0);
    // The next successful poll finds the account healthy again: the held shipment is pushed.
    const recovered = (id: string) => createFulfillmentFeature().accountHealthy!(t.worker, id);
    await pollAccount({ db: t.worker.db, adapter: market, log: silentLog(), onAccountHealthy: recovered });
    await until(async () => (await view('X1')).shipments[0]?.pushState === 'pushed', 'pushed after recovery');
    expect(uploadsOf('9400100000000000991')).toBe(1);
  });

  it('a shipment left "pushing" without a live job (the process died mid-push) is swept up and pushed exactly once', async () => {
    const mapper = (_p: string, name: string) => market.mapCarrier(name);
    const before = recordShipment(t.worker.db, { order: 'S1', carrier: 'usps', tracking: '9400100000000000551', items: 'STICKER-PACK:1', source: 'cli' }, mapper);
    const after = recordShipment(t.worker.db, { order: 'S1', carrier: 'ups', tracking: '1Z0000000000000552', items: '3DP-PLANTER-S:1', source: 'cli' }, mapper);
    // Both were being pushed when the process died; the second had reached the marketplace already.
    for (const s of [before, after]) updateShipment(t.worker.db, s.id, { state: 'pushing', attempts: 1 });
    // The dead run's lease on the second has run out (a live one would make the push wait for it).
    updateShipment(t.worker.db, after.id, { leaseUntil: new Date(Date.now() - 1_000).toISOString(), leaseOwner: '4242@2026-11-25T00:00:00.000Z' });
    market.uploads.push({ shipmentId: after.id, orderExternalId: 'S1', carrier: 'ups', trackingNumber: after.trackingNumber, shippedAt: after.shippedAt, lines: [], retry: false });

    expect(await sweepShipments(t.worker.queues.fulfillment, t.worker.db, 20)).toEqual({ requeued: 2 });
    const state = (id: string) => t.worker.db.select().from(shipments).all().find((s) => s.id === id)!.state;
    await until(async () => state(before.id) === 'pushed' && state(after.id) === 'pushed', 'both pushed');
    expect(uploadsOf(before.trackingNumber)).toBe(1);
    expect(uploadsOf(after.trackingNumber)).toBe(1); // asked first, found it, sent nothing
    expect(await sweepShipments(t.worker.queues.fulfillment, t.worker.db, 20)).toEqual({ requeued: 0 }); // nothing left
  });

  it('two runs of the same push at once (at-least-once delivery): one claims the shipment, the other sends nothing', async () => {
    const shipment = recordShipment(t.worker.db, { order: 'D1', carrier: 'usps', tracking: '9400100000000000661', source: 'cli' }, (_p, name) => market.mapCarrier(name));
    market.holdMs = 300;
    try {
      const deps = { db: t.worker.db, adapters: [market], log: silentLog() };
      const [a, b] = await Promise.allSettled([pushShipmentJob(deps, shipment.id), pushShipmentJob(deps, shipment.id)]);
      // One pushes; the other finds it held and is to try again later (BullMQ retries it).
      expect([a, b].filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([
        expect.stringMatching(/held by another push/),
      ]);
      // Its retry, once the first is done, finds the shipment pushed and sends nothing.
      expect(await pushShipmentJob(deps, shipment.id)).toEqual({ skipped: 'shipment is pushed' });
    } finally {
      market.holdMs = 0;
    }
    expect(uploadsOf('9400100000000000661')).toBe(1);
    expect(t.worker.db.select().from(shipments).all().find((s) => s.id === shipment.id)!.state).toBe('pushed');
  });

  it('a push that finds a dead run\'s lease waits for exactly its end (delayed, no attempt spent), then pushes once', async () => {
    const shipment = recordShipment(t.worker.db, { order: 'LEASE1', carrier: 'usps', tracking: '9400100000000000771', source: 'cli' }, (_p, name) => market.mapCarrier(name));
    // A killed run was mid-create: its lease holds the shipment for another 1.5 s.
    const leaseEnds = Date.now() + 1_500;
    updateShipment(t.worker.db, shipment.id, { state: 'pushing', attempts: 1, leaseUntil: new Date(leaseEnds).toISOString(), leaseOwner: '4242@2026-11-25T00:00:00.000Z' });
    expect(await sweepShipments(t.worker.queues.fulfillment, t.worker.db, 20)).toEqual({ requeued: 1 });
    const job = async () => (await t.worker.queues.fulfillment.getJobs(['delayed', 'waiting', 'active', 'completed', 'failed'])).find((j) => j.data.shipmentId === shipment.id);
    let sawDelayedUntilLease = false;
    await until(async () => {
      const j = await job();
      if (j && (await j.getState()) === 'delayed' && j.timestamp + j.delay >= leaseEnds) sawDelayedUntilLease = true;
      return t.worker.db.select().from(shipments).all().find((x) => x.id === shipment.id)!.state === 'pushed';
    }, 'pushed after the lease');
    expect(sawDelayedUntilLease).toBe(true);
    expect((await job())!.attemptsMade).toBeLessThanOrEqual(1); // the wait for the lease spent no attempt
    expect(uploadsOf('9400100000000000771')).toBe(1);
  });

  it('refuses bad input with a specific message and writes nothing', () => {
    const mapper = (_p: string, name: string) => market.mapCarrier(name);
    const attempt = (input: Partial<ShipmentInput>) => {
      const before = t.worker.db.select().from(shipments).all().length;
      try {
        recordShipment(t.worker.db, { order: 'O5', carrier: 'usps', tracking: '9400100000000000555', source: 'cli', ...input }, mapper);
        return 'accepted';
      } catch (err) {
        expect(t.worker.db.select().from(shipments).all().length).toBe(before);
        return (err as Error).message;
      } 
    };
    expect(attempt({ order: 'NOPE-1' })).toBe('unknown order "NOPE-1": no order has that id or marketplace order number');
    expect(attempt({ items: [{ sku: 'NOT-IN-ORDER', quantity: 1 }] })).toBe('items[0].sku: "NOT-IN-ORDER" is not in etsy order O5 (it has 3DP-PLANTER-S, STICKER-PACK)');
    expect(attempt({ items: [{ sku: 'STICKER-PACK', quantity: 2 }] })).toBe('items[0].quantity: 2 x STICKER-PACK is more than the 1 not yet shipped on etsy order O5');
    expect(attempt({ carrier: 'Pigeon Post' })).toBe('carrier: unknown carrier "Pigeon Post"');
    expect(attempt({ tracking: '   ' })).toBe('tracking: must not be empty');
    expect(attempt({ tracking: 'abc' })).toBe('tracking: "abc" is malformed: 5-40 letters, digits or dashes, at least 5 of them letters or digits');
    expect(attempt({ tracking: '94001/00' })).toMatch(/malformed/);
    expect(attempt({ shippedAt: 'yesterday-ish' })).toBe('shippedAt: must be a date (2026-11-25) or an ISO time');
    expect(attempt({ order: 'O1' })).toBe('etsy order O1 is already shipped (or every item is on a recorded shipment)');
    expect(attempt({ order: 'O1', tracking: '9400 1000 0000 0000 001' })).toMatch(/^tracking 9400100000000000001 is already recorded for etsy order O1/);
    expect(attempt({})).toBe('accepted');
  });

  it('CSV: good rows land, bad rows are reported, dry run records nothing', async () => {
    const csv = [
      'Order Number,Carrier,Tracking Number,Items,Ship Date',
      'C1,USPS,9400100000000000101,,2026-11-24',
      'C2,Pigeon Post,9400100000000000102,,',
      'C3,UPS,1Z0000000000000103,3DP-PLANTER-S:1,',
      'NOPE,UPS,1Z0000000000000104,,',
    ].join('\n');
    const mapper = (_p: string, name: string) => market.mapCarrier(name);
    const count = () => t.worker.db.select().from(shipments).all().length;
    const before = count();
    const rowsOf = async (text: string, dryRun = false) => {
      const rows: CsvRowResult[] = [];
      await importShipmentsCsv(t.worker.db, text, mapper, { dryRun, onRow: (r) => void rows.push(r) });
      return rows;
    };
    const dry = await rowsOf(csv, true);
    expect(dry.map((r) => r.ok)).toEqual([true, false, true, false]);
    expect(count()).toBe(before);
    const real = await rowsOf(csv);
    expect(real.map((r) => `${r.row}:${r.ok ? 'ok' : r.error}`)).toEqual([
      '2:ok',
      '3:carrier: unknown carrier "Pigeon Post"',
      '4:ok',
      '5:unknown order "NOPE": no order has that id or marketplace order number',
    ]);
    expect(count()).toBe(before + 2);
    await expect(rowsOf('foo,bar\n1,2')).rejects.toThrow(/header "foo" is not a column this import knows/);
  });

  it('CSV: the dry run says what the real run will do, and headers are checked by name', async () => {
    const mapper = (_p: string, name: string) => market.mapCarrier(name);
    const rowsOf = async (text: string, dryRun = false) => {
      const rows: CsvRowResult[] = [];
      await importShipmentsCsv(t.worker.db, text, mapper, { dryRun, onRow: (r) => void rows.push(r) });
      return rows.map((r) => `${r.row}:${r.ok ? 'ok' : r.error}`);
    };
    // The same row twice, and two rows that together ship more than was ordered.
    const csv = ['order,carrier,tracking,items', 'C2,USPS,9400100000000000201,', 'C2,USPS,9400100000000000201,', 'C3,UPS,1Z0000000000000901,STICKER-PACK:1', 'C3,UPS,1Z0000000000000902,STICKER-PACK:1'].join('\n');
    const dry = await rowsOf(csv, true);
    expect(dry).toEqual(await rowsOf(csv));
    expect(dry[0]).toBe('2:ok');
    expect(dry[2]).toBe('4:ok');
    expect(dry[1]).toMatch(/^3:tracking 9400100000000000201 for etsy order C2 is already on an earlier row/);
    expect(dry[3]).toMatch(/^5:items\[0\]\.quantity: 1 x STICKER-PACK is more than the 0 not yet shipped/);
    await expect(rowsOf('order,order,carrier,tracking\nC1,C1,UPS,1Z0000000000000999')).rejects.toThrow(/headers "order" and "order" both mean order/);
    await expect(rowsOf('__proto__,carrier,tracking\nC1,UPS,1Z0000000000000998')).rejects.toThrow(/header "__proto__" is not a column/);
    await expect(rowsOf('constructor,carrier,tracking\nC1,UPS,1Z0000000000000997')).rejects.toThrow(/header "constructor" is not a column/);
    // Trailing empty columns of a spreadsheet export are no headers; a split value is refused.
    const split = await rowsOf('order,carrier,tracking,items,,\nC3,UPS,1Z0000000000000905,STICKER-PACK:1,3DP-PLANTER-S:1,', true);
    expect(split[0]).toMatch(/^2:the row has more cells than the header has columns/);
    await expect(rowsOf('order,carrier\nC1,UPS')).rejects.toThrow(/missing: tracking/);
    // A spreadsheet formula or markup as carrier is refused like in the API, and echoed escaped.
    const formula = await rowsOf('order,carrier,tracking\nC3,"=HYPERLINK(""http://evil.example"",""x"")",1Z0000000000000903\nC3,"UPS\u001b[2J",1Z0000000000000904', true);
    expect(formula[0]).toMatch(/^2:carrier: must be a carrier name/);
    expect(formula[1]).toMatch(/^3:carrier: must not contain control characters/);
  });

  it('CSV: a running worker writing the same database is never locked out by an import', async () => {
    const dbPath = t.worker.config.databasePath;
    // Another process writing every 20 ms with a 600 ms busy timeout (far stricter than the worker's 5 s).
    const writer = startSqliteWriter(dbPath, 600);
    await sleep(300);
    // 10,000 orders to ship, one row each: every row writes (a dry run rolls back at the end of each batch).
    const account = t.worker.db.select().from(orders).get()!.accountId;
    const insertOrder = t.worker.db.$client.prepare(
      "INSERT INTO orders (platform, account_id, external_id, status, payment_status, purchased_at, remote_updated_at, currency, total_minor) VALUES ('etsy', ?, ?, 'unshipped', 'paid', '2026-11-20T10:00:00.000Z', '2026-11-20T10:00:00.000Z', 'USD', 599) RETURNING id",
    );
    const insertItem = t.worker.db.$client.prepare("INSERT INTO order_items (order_id, external_line_id, sku, title, quantity, unit_price_minor) VALUES (?, ?, 'STICKER-PACK', 'Stickers', 1, 599)");
    t.worker.db.$client.transaction(() => {
      for (let i = 0; i < 10_000; i++) insertItem.run((insertOrder.get(account, `L${i}`) as { id: number }).id, `L${i}-1`);
    })();
    const rows = ['order,carrier,tracking'];
    for (let i = 0; i < 10_000; i++) rows.push(`L${i},UPS,1Z${String(i).padStart(16, '0')}`);
    const summary = await importShipmentsCsv(t.worker.db, rows.join('\n'), (_p, name) => market.mapCarrier(name), { dryRun: true });
    const { ok, locked } = await writer.stop();
    // Neither side fails on the other: the import's batches take the write lock up front (IMMEDIATE),
    // so another process's commit never makes a row fail with SQLITE_BUSY.
    expect(summary).toEqual({ ok: 10_000, bad: 0 });
    expect(ok).toBeGreaterThan(5);
    expect(locked).toBe(0);
  });

  it('CLI: `ordersync ship` records a shipment the running worker pushes once', async () => {
    const res = spawnSync(
      process.execPath,
      ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/cli.ts', 'ship', 'O6', '--carrier', 'usps', '--tracking', '9400100000000000666', '--items', 'STICKER-PACK:1'],
      { env: { PATH: process.env.PATH, ENV_FILE: '/nonexistent', REDIS_URL, REDIS_PREFIX: t.worker.prefix, DATABASE_PATH: t.worker.config.databasePath, DATA_DIR: t.dir.path }, encoding: 'utf8' },
    );
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/recorded shipment .*: usps 9400100000000000666/);
    await until(async () => (await view('O6')).shipments[0]?.pushState === 'pushed', 'CLI push');
    expect(uploadsOf('9400100000000000666')).toBe(1);
    const bad = spawnSync(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/cli.ts', 'ship', 'O6', '--carrier', 'usps', '--tracking', 'x'], {
      env: { PATH: process.env.PATH, ENV_FILE: '/nonexistent', REDIS_URL, REDIS_PREFIX: t.worker.prefix, DATABASE_PATH: t.worker.config.databasePath, DATA_DIR: t.dir.path },
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('ordersync: tracking: "x" is malformed: 5-40 letters, digits or dashes, at least 5 of them letters or digits\n');
  });
});

describe('shipments against the Etsy sandbox', () => {
  it('reaches the sandbox exactly once, even when the job is retried', async () => {
    const sandbox = await startSandbox({ seed: 12 });
    const [receipt] = sandbox.context.store.add('etsy', 1, 'unshipped');
    const w = await startTestWorker({
      prefix: `${redis.prefix}-etsy`,
      adapters: [],
      features: [productionFeature, createFulfillmentFeature({ retryDelayMs: 20 })],
    });
    try {
      const adapter = createEtsyAdapter({ db: w.worker.db, log: silentLog(), credentials: ETSY_SANDBOX_CREDENTIALS, baseUrl: sandbox.url, retry: { retries: 0 } });
      w.worker.adapters.push(adapter);
      await pollAccount({ db: w.worker.db, adapter, log: silentLog() });
      // The upload goes out, then the connection drops before we hear back: the retry must see it.
      sandbox.context.store.faults.push({ platform: 'etsy', operation: 'getShopReceipt', status: 503, remaining: 1, skip: 1 });
      const res = await fetch(`${w.worker.httpUrl}/api/orders/${receipt!.id}/shipments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ carrier: 'USPS', tracking: '9400100000000000777' }),
      });
      expect(res.status).toBe(201);
      await until(async () => {
        const v = (await (await fetch(`${w.worker.httpUrl}/api/orders/${receipt!.id}`)).json()) as View;
        return v.shipments[0]?.pushState === 'pushed';
      }, 'sandbox push');
      expect(sandbox.context.store.calls.filter((c) => c.operation === 'getShopReceipt' && c.status === 503)).toHaveLength(1);
      const uploads = sandbox.context.store.calls.filter((c) => c.operation === 'createReceiptShipment');
      expect(uploads).toHaveLength(1);
      expect(uploads[0]!.body).toMatchObject({ tracking_code: '9400100000000000777', carrier_name: 'usps' });
      await adapter.close?.();
    } finally {
      await w.dispose();
      await sandbox.close();
    }
  });
});

