import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFactories } from '../../adapters/all.ts';
import { carrierMapperFor } from '../../adapters/registry.ts';
import { loadProductionRules } from '../../config/production.ts';
import type { Db } from '../../db/connection.ts';
import { listOrders } from '../../db/reports.ts';
import { recordShipment } from '../../jobs/fulfillment/record.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { productionView } from '../../jobs/production/lifecycle.ts';
import { reportsFeature } from '../../jobs/reports/index.ts';
import { buildReport, windowStart, type Report } from '../../jobs/reports/report.ts';
import { parseOrdersQuery, parseReportQuery } from '../../jobs/reports/report-input.ts';
import { reportCsv } from '../../src/commands/report.ts';
import { tableLines } from '../../src/commands/columns.ts';
import { ValidationError } from '../../src/errors.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { REDIS_URL, redisPrefix, silentLog } from '../support/env.ts';
import { runOrdersync } from '../support/processes.ts';

const redis = redisPrefix();
const rules = loadProductionRules();
const DAY = 86_400_000;
const HOUR = 3_600_000;

let sandbox: Sandbox;
let t: Awaited<ReturnType<typeof startTestWorker>>;
let db: Db;

/** Runs `ordersync` as a process on the test worker's data directory and Redis prefix. */
const ordersync = (...args: string[]) => runOrdersync({ DATA_DIR: t.dir.path, REDIS_URL, REDIS_PREFIX: redis.prefix }, ...args);

const all = <T>(sql: string, ...params: unknown[]) => db.$client.prepare(sql).all(...params) as T[];

beforeAll(async () => {
  t = await startTestWorker({ prefix: redis.prefix, adapters: [], features: [productionFeature, reportsFeature] });
  db = t.worker.db;
  sandbox = await startSandbox({ seed: 21 });
  for (const p of ['amazon', 'ebay', 'etsy'] as const) {
    sandbox.context.store.add(p, 10, 'unshipped');
    sandbox.context.store.add(p, 2, 'pending');
    sandbox.context.store.add(p, 1, 'cancelled');
  }
  const adapters = adapterFactories.map((f) => f.forSandbox({ db, log: silentLog(), sandboxUrl: sandbox.url, rateLimitPerMinute: 1_000_000, cacheTtlSeconds: 300 }));
  const intake = productionFeature.intake!({ ...t.worker, adapters });
  for (const adapter of adapters) {
    const s = await pollAccount({ db, adapter, intake, log: silentLog() });
    expect(s).toMatchObject({ inserted: 13, quarantined: 0 });
    await adapter.close?.();
  }

  // The sandbox places every order within the last two minutes: spread them over ten days (a few
  // outside a week), each ship-by a day and a half after its purchase.
  const now = Date.now();
  const ids = all<{ id: number }>('SELECT id FROM orders ORDER BY id').map((r) => r.id);
  const setTimes = db.$client.prepare('UPDATE orders SET purchased_at = ?, ship_by = ? WHERE id = ?');
  ids.forEach((id, i) => {
    const placed = now - (i % 10) * DAY - (i % 7) * HOUR - 5 * 60_000;
    setTimes.run(new Date(placed).toISOString(), new Date(placed + 36 * HOUR).toISOString(), id);
  });
  // Shipments: some on time, some late, one order shipped in two packages (the first one counts).
  const paid = all<{ id: number; purchased_at: string }>("SELECT id, purchased_at FROM orders WHERE status = 'unshipped' ORDER BY id");
  let n = 0;
  for (const [i, o] of paid.entries()) {
    if (i % 3 === 2) continue; // a third stays unshipped
    const hoursAfter = [5, 20, 48, 60, 9, 30][i % 6]!;
    const shippedAt = Math.min(Date.parse(o.purchased_at) + hoursAfter * HOUR, now - 60_000);
    const items = all<{ sku: string; quantity: number }>('SELECT sku, quantity FROM order_items WHERE order_id = ? ORDER BY id', o.id);
    const split = i === 0 && items.length > 1;
    recordShipment(
      db,
      { order: String(o.id), carrier: 'USPS', tracking: `9400111899560000${String(++n).padStart(6, '0')}`, shippedAt: new Date(shippedAt).toISOString(), items: split ? [{ sku: items[0]!.sku, quantity: items[0]!.quantity }] : undefined, source: 'cli' },
      (platform, name) => carrierMapperFor(platform)(name),
    );
    if (split) {
      recordShipment(
        db,
        { order: String(o.id), carrier: 'USPS', tracking: `9400111899560000${String(++n).padStart(6, '0')}`, shippedAt: new Date(Math.min(shippedAt + 50 * HOUR, now - 30_000)).toISOString(), source: 'cli' },
        (platform, name) => carrierMapperFor(platform)(name),
      );
    }
  }
  // Two orders still to print are due within the hour: their print work is at risk.
  db.$client
    .prepare(
      `UPDATE orders SET ship_by = ? WHERE id IN (
         SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id JOIN production_items p ON p.order_item_id = i.id
         WHERE p.kind = 'print' AND p.state = 'queued' ORDER BY o.id LIMIT 2)`,
    )
    .run(new Date(now + HOUR).toISOString());
}, 120_000);

afterAll(async () => {
  await t?.dispose();
  await sandbox?.close();
  await redis.cleanup();
});

/** The report's figures, computed again from SQLite with plain SQL and arithmetic of their own. */
function expectedFigures(days: number) {
  const since = windowStart(days);
  const sold = all<{ id: number; platform: string; day: string; currency: string; total: number; placed: string; shipBy: string | null; status: string }>(
    "SELECT id, platform, substr(purchased_at, 1, 10) AS day, currency, total_minor AS total, purchased_at AS placed, ship_by AS shipBy, status FROM orders WHERE purchased_at >= ?",
    since,
  );
  const items = all<{ orderId: number; quantity: number; print: number }>(
    "SELECT i.order_id AS orderId, i.quantity, (SELECT count(*) FROM production_items p WHERE p.order_item_id = i.id AND p.kind = 'print') AS print FROM order_items i",
  );
  const firstShip = new Map(all<{ orderId: number; first: string }>('SELECT order_id AS orderId, min(shipped_at) AS first FROM shipments GROUP BY order_id').map((r) => [r.orderId, r.first]));
  const groups = new Map<string, { orders: number; cancelled: number; units: number; items: number; printItems: number; revenue: Record<string, number>; hours: number[]; late: number }>();
  for (const o of sold) {
    const g = groups.get(`${o.platform} ${o.day}`) ?? { orders: 0, cancelled: 0, units: 0, items: 0, printItems: 0, revenue: {}, hours: [], late: 0 };
    groups.set(`${o.platform} ${o.day}`, g);
    if (o.status === 'cancelled') g.cancelled += 1;
    if (o.status === 'pending' || o.status === 'cancelled') continue;
    g.orders += 1;
    g.revenue[o.currency] = (g.revenue[o.currency] ?? 0) + o.total;
    for (const i of items.filter((x) => x.orderId === o.id)) {
      g.units += i.quantity;
      g.items += 1;
      g.printItems += i.print;
    }
    const first = firstShip.get(o.id);
    if (first) {
      g.hours.push((Date.parse(first) - Date.parse(o.placed)) / HOUR);
      if (o.shipBy && Date.parse(first) > Date.parse(o.shipBy)) g.late += 1;
    }
  }
  const median = (xs: number[]) => {
    if (xs.length === 0) return null;
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  return new Map([...groups].map(([k, g]) => [k, { ...g, shipped: g.hours.length, median: median(g.hours) }]));
}

function expectMatches(report: Report, days: number) {
  const expected = expectedFigures(days);
  expect(report.rows.map((r) => `${r.platform} ${r.day}`).sort()).toEqual([...expected.keys()].sort());
  for (const r of report.rows) {
    const e = expected.get(`${r.platform} ${r.day}`)!;
    expect({ orders: r.orders, cancelled: r.cancelled, units: r.units, items: r.items, printItems: r.printItems, shipped: r.shipped, late: r.late }, `${r.platform} ${r.day}`).toEqual({
      orders: e.orders,
      cancelled: e.cancelled,
      units: e.units,
      items: e.items,
      printItems: e.printItems,
      shipped: e.shipped,
      late: e.late,
    });
    expect(Object.fromEntries(r.revenue.map((m) => [m.currency, m.minor]))).toEqual(e.revenue);
    if (e.median === null) expect(r.medianShipHours).toBeNull();
    else expect(r.medianShipHours).toBeCloseTo(e.median, 6);
    expect(r.printShare).toBe(e.items ? e.printItems / e.items : null);
  }
}

describe('the sales report on a sandbox-filled database', () => {
  it('has the figures plain SQL finds, per platform and day, for a week and for the whole period', () => {
    const week = buildReport(db, rules, { days: 7 });
    expectMatches(week, 7);
    // The data has what the report is about: several days, currencies, shipped, late and print work.
    expect(new Set(week.rows.map((r) => r.day)).size).toBe(7);
    expect(new Set(week.rows.flatMap((r) => r.revenue.map((m) => m.currency))).size).toBeGreaterThan(1);
    expect(week.rows.reduce((s, r) => s + r.shipped, 0)).toBeGreaterThan(5);
    expect(week.rows.reduce((s, r) => s + r.late, 0)).toBeGreaterThan(0);
    expect(week.rows.reduce((s, r) => s + r.late, 0)).toBeLessThan(week.rows.reduce((s, r) => s + r.shipped, 0));
    expect(week.rows.reduce((s, r) => s + r.printItems, 0)).toBeGreaterThan(0);
    expectMatches(buildReport(db, rules, { days: 30 }), 30);
    expect(buildReport(db, rules, { days: 30 }).rows.length).toBeGreaterThan(week.rows.length);
  });

  it('sums the days into per-platform totals, the median over every shipped order', () => {
    const report = buildReport(db, rules, { days: 30 });
    for (const total of report.totals) {
      const days = report.rows.filter((r) => r.platform === total.platform);
      for (const k of ['orders', 'cancelled', 'units', 'items', 'printItems', 'shipped', 'late'] as const) expect(total[k], `${total.platform} ${k}`).toBe(days.reduce((s, r) => s + r[k], 0));
      const hours = all<{ h: number }>(
        `SELECT (julianday(min(s.shipped_at)) - julianday(o.purchased_at)) * 24 AS h FROM orders o JOIN shipments s ON s.order_id = o.id
         WHERE o.platform = ? AND o.status NOT IN ('pending', 'cancelled') GROUP BY o.id ORDER BY h`,
        total.platform,
      ).map((r) => r.h);
      const mid = hours.length % 2 ? hours[(hours.length - 1) / 2]! : (hours[hours.length / 2 - 1]! + hours[hours.length / 2]!) / 2;
      expect(total.medianShipHours).toBeCloseTo(mid, 4);
    }
  });

  it('counts the print jobs the schedule puts at risk, by platform and by the day of their order', () => {
    const report = buildReport(db, rules, { days: 30 });
    const risky = productionView(db, rules).filter((r) => r.schedule?.atRisk);
    expect(risky.length).toBeGreaterThanOrEqual(2);
    for (const total of report.totals) expect(total.atRisk).toBe(risky.filter((r) => r.platform === total.platform).length);
    expect(report.rows.reduce((s, r) => s + r.atRisk, 0)).toBe(risky.length);
  });

  it('prints a table that fits 80 columns, and CSV with a revenue column per currency', () => {
    const report = buildReport(db, rules, { days: 7 });
    const csv = reportCsv(report).split('\n');
    const currencies = [...new Set(report.rows.flatMap((r) => r.revenue.map((m) => m.currency)))];
    expect(csv[0]).toMatch(/^day,platform,orders,cancelled,units,items,print_items,print_share,revenue_/);
    for (const c of currencies) expect(csv[0]).toContain(`revenue_${c}`);
    expect(csv).toHaveLength(1 + report.rows.length + report.totals.length);
    const lines = tableLines([{ head: 'order', shrink: true }, { head: 'text' }], [['x'.repeat(70), 'y'.repeat(20)]]);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it('validates days once for the CLI and the API: a whole number from 1 to 366', async () => {
    expect(parseReportQuery({ days: '14' })).toEqual({ days: 14 });
    expect(parseReportQuery({})).toEqual({ days: 7 });
    for (const days of ['0', '-3', '1.5', 'week', '367']) expect(() => parseReportQuery({ days }), days).toThrow(ValidationError);

    const ok = await t.worker.http.inject({ method: 'GET', url: '/api/report?days=7' });
    expect(ok.statusCode).toBe(200);
    const body = ok.json() as Report;
    const local = buildReport(db, rules, { days: 7 });
    expect(body.rows).toEqual(local.rows);
    expect(body.totals).toEqual(local.totals);
    const bad = await t.worker.http.inject({ method: 'GET', url: '/api/report?days=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'days', error: expect.stringMatching(/at least 1/) });
    const unknown = await t.worker.http.inject({ method: 'GET', url: '/api/report?days=7&format=xml' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ field: 'format' });

    const orders = await t.worker.http.inject({ method: 'GET', url: '/api/orders?platform=etsy&status=unshipped&limit=2' });
    expect(orders.statusCode).toBe(200);
    expect(orders.json()).toEqual(listOrders(db, { platform: 'etsy', status: 'unshipped', limit: 2 }));
    const lost = await t.worker.http.inject({ method: 'GET', url: '/api/orders?status=lost' });
    expect(lost.statusCode).toBe(400);
    expect(lost.json()).toMatchObject({ field: 'status' });
  });
});

describe('ordersync orders', () => {
  it('filters by status, platform, purchase time and text, newest first, up to the limit', () => {
    const since = new Date(Date.now() - 3 * DAY).toISOString();
    const got = listOrders(db, parseOrdersQuery({ status: 'unshipped', platform: 'etsy', since: since.slice(0, 10) }));
    const want = all<{ id: number }>(
      "SELECT id FROM orders WHERE status = 'unshipped' AND platform = 'etsy' AND purchased_at >= ? ORDER BY purchased_at DESC, id DESC",
      `${since.slice(0, 10)}T00:00:00.000Z`,
    );
    expect(got.map((o) => o.id)).toEqual(want.map((o) => o.id));
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((o) => o.platform === 'etsy' && o.status === 'unshipped')).toBe(true);

    const one = all<{ external_id: string; units: number }>('SELECT o.external_id, sum(i.quantity) AS units FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.id ORDER BY o.id LIMIT 1')[0]!;
    const found = listOrders(db, parseOrdersQuery({ search: one.external_id.slice(2, 9) }));
    expect(found.map((o) => o.orderNumber)).toContain(one.external_id);
    expect(found.find((o) => o.orderNumber === one.external_id)!.units).toBe(one.units);
    const bySku = listOrders(db, parseOrdersQuery({ search: '3DP-NAMESIGN', limit: '1000' }));
    expect(bySku.map((o) => o.id).sort((a, b) => a - b)).toEqual(
      all<{ id: number }>("SELECT DISTINCT order_id AS id FROM order_items WHERE sku LIKE '%3DP-NAMESIGN%' ORDER BY order_id").map((r) => r.id),
    );
    // LIKE wildcards in the text are literal.
    expect(listOrders(db, parseOrdersQuery({ search: '%' }))).toEqual([]);
    expect(listOrders(db, parseOrdersQuery({ limit: '3' }))).toHaveLength(3);
  });

  it('refuses bad filters with the field named', () => {
    const field = (input: Record<string, unknown>) => {
      try {
        parseOrdersQuery(input);
      } catch (err) {
        return (err as ValidationError).field;
      }
      return undefined;
    };
    expect(field({ status: 'lost' })).toBe('status');
    expect(field({ platform: 'shopify' })).toBe('platform');
    expect(field({ since: '2026-02-31' })).toBe('since');
    expect(field({ since: 'yesterday' })).toBe('since');
    expect(field({ limit: '0' })).toBe('limit');
    expect(field({ search: 'a\u202Eb' })).toBe('search');
    expect(parseOrdersQuery({ since: '2026-03-01T14:00' }).since).toBe('2026-03-01T14:00:00.000Z');
    expect(parseOrdersQuery({ since: '2026-03-01T14:00+02:00' }).since).toBe('2026-03-01T12:00:00.000Z');
  });
});

describe('the ordersync process', () => {
  it('prints JSON that parses for orders and report, and tables that fit 80 columns', () => {
    const report = ordersync('report', '--days', '7', '--json');
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    const parsed = JSON.parse(report.stdout) as Report;
    expect(parsed.rows).toEqual(buildReport(db, rules, { days: 7 }).rows);

    const orders = ordersync('orders', '--platform', 'amazon', '--limit', '5', '--json');
    expect(orders.code).toBe(0);
    expect((JSON.parse(orders.stdout) as { platform: string }[]).map((o) => o.platform)).toEqual(Array(5).fill('amazon'));

    for (const args of [['report', '--days', '30'], ['orders', '--limit', '200']]) {
      const out = ordersync(...args);
      expect(out.code, out.stderr).toBe(0);
      expect(Math.max(...out.stdout.split('\n').map((l) => l.length)), args.join(' ')).toBeLessThanOrEqual(80);
    }
    const csv = ordersync('report', '--days', '7', '--csv');
    expect(csv.stdout.split('\n')[0]).toMatch(/^day,platform,orders/);

    const bad = ordersync('report', '--days', 'many');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/days: must be a whole number of days/);
  }, 90_000); // CLI processes loading the sources (3 s apiece on a slow day)
});
