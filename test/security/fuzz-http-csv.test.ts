import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shipments } from '../../db/schema.ts';
import { importShipmentsCsv } from '../../jobs/fulfillment/csv-import.ts';
import { fulfillmentFeature } from '../../jobs/fulfillment/index.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { ValidationError } from '../../src/errors.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { redisPrefix, silentLog } from '../support/env.ts';
import { FakeAdapter } from '../support/fake-adapter.ts';

/** Cases per property; the README states the totals. */
export const HTTP_RUNS = 300;
export const CSV_RUNS = 300;
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const redis = redisPrefix();
const AUTH = `Basic ${Buffer.from('ops:fuzzing-password-1').toString('base64')}`;

function send(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { host: u.host, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A path segment as a hostile client might write it: any text, percent-encoded or raw, dots, slashes. */
const segment = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
  fc.constantFrom('%61pi', '..', '.', '%2e%2e', '%2F', 'orders', 'production', 'take', 'shipments', 'queues', '1', '-1', '99999999999999999999', '%00', 'api', 'admin'),
);
const path = fc.tuple(fc.constantFrom('/api', '/admin', '/%61pi', '/%41PI', '/admin/queues/api/queues', ''), fc.array(segment, { maxLength: 5 })).map(([p, s]) => `${p}/${s.join('/')}`);

describe('fuzzing the ops server and the CSV import', () => {
  let t: Awaited<ReturnType<typeof startTestWorker>>;
  const adapter = new FakeAdapter('shop-fuzz');
  beforeAll(async () => {
    adapter.orders = [{ id: 'F1', modified: '2026-11-20T10:00:00.000Z', lines: [{ id: 'F1-1', sku: '3DP-MINI-DRAGON', qty: 3 }] }];
    t = await startTestWorker({
      prefix: `${redis.prefix}-fuzz`,
      adapters: [adapter],
      features: [productionFeature, fulfillmentFeature],
      env: { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'fuzzing-password-1' },
    });
    await pollAccount({ db: t.worker.db, adapter, intake: productionFeature.intake!({ ...t.worker, adapters: [adapter] }), log: silentLog() });
  });
  afterAll(async () => {
    await t.dispose();
    await redis.cleanup();
  });

  it(`any path, any method, without credentials: never served, never a 500 (${HTTP_RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), async (p, method) => {
        const status = await send(t.worker.httpUrl, method, p, {});
        expect([400, 401, 404, 405]).toContain(status);
      }),
      { numRuns: HTTP_RUNS, seed: SEED },
    );
  });

  it(`any JSON body to the write endpoints, with credentials: a 4xx that writes nothing, or a real shipment; never a 500 (${HTTP_RUNS} cases)`, async () => {
    const json = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          carrier: fc.oneof(fc.string(), fc.constantFrom('USPS', 'ups', '=cmd', '<b>'), fc.integer()),
          tracking: fc.oneof(fc.string(), fc.constantFrom('9400100000000000999', 'A----', '1Z999'), fc.double()),
          items: fc.oneof(fc.string(), fc.array(fc.record({ sku: fc.oneof(fc.string(), fc.constant('3DP-MINI-DRAGON')), quantity: fc.oneof(fc.integer(), fc.double(), fc.string()) }), { maxLength: 3 }), fc.jsonValue()),
          shippedAt: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer()),
          note: fc.string(),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/orders/F1/shipments', '/api/production/take', '/api/production/1/failed', '/api/production/1/packed'), json, async (endpoint, body) => {
        const before = t.worker.db.select().from(shipments).all().length;
        const status = await send(t.worker.httpUrl, 'POST', endpoint, { authorization: AUTH, 'content-type': 'application/json' }, JSON.stringify(body));
        expect(status).toBeLessThan(500);
        const after = t.worker.db.select().from(shipments).all();
        if (status >= 400) expect(after.length).toBe(before);
        for (const s of after) for (const l of s.lines) expect(Number.isSafeInteger(l.quantity) && l.quantity > 0).toBe(true);
      }),
      { numRuns: HTTP_RUNS, seed: SEED },
    );
  });

  it(`any CSV text: rows reported or a header refused by name; never a crash, never a bad row recorded (${CSV_RUNS} cases)`, async () => {
    const cell = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('F1', 'USPS', '9400100000000000888', '3DP-MINI-DRAGON:1', '3DP-MINI-DRAGON:-2', '2026-11-24', '"', ',', '\n', '=HYPERLINK("x")', '\u0000'));
    const header = fc.oneof(fc.constant('order,carrier,tracking,items,date'), fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('order', 'carrier', 'tracking', '__proto__', 'constructor')), { maxLength: 6 }).map((h) => h.join(',')));
    const csv = fc.tuple(header, fc.array(fc.array(cell, { maxLength: 6 }).map((r) => r.join(',')), { maxLength: 8 })).map(([h, rows]) => [h, ...rows].join('\n'));
    await fc.assert(
      fc.asyncProperty(csv, fc.boolean(), async (text, dryRun) => {
        try {
          await importShipmentsCsv(t.worker.db, text, (_p, name) => adapter.mapCarrier(name), { dryRun });
        } catch (err) {
          // A header refused by name, or a file that cannot be read, with the line named: nothing else.
          expect(err).toBeInstanceOf(ValidationError);
          expect((err as ValidationError).field === 'header' || (err as ValidationError).field === 'csv').toBe(true);
          return;
        }
        // Accepted: then every header was one the import knows.
        const known = ['order', 'order number', 'order no', 'order id', 'order #', 'orderid', 'ordernumber', 'reference', 'carrier', 'carrier name', 'shipping carrier', 'courier', 'provider', 'tracking', 'tracking number', 'tracking no', 'tracking code', 'tracking #', 'trackingnumber', 'items', 'skus', 'items shipped', 'date', 'ship date', 'shipped at', 'shipped date', 'date shipped'];
        const header = text.split('\n')[0]!.split(',').map((h) => h.trim().toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' '));
        while (header.length && header.at(-1) === '') header.pop();
        if (!header.includes('"') && !text.startsWith('"')) for (const h of header) expect(known).toContain(h);
      }),
      { numRuns: CSV_RUNS, seed: SEED },
    );
    expect(t.worker.db.select().from(shipments).all().every((s) => s.lines.every((l) => Number.isSafeInteger(l.quantity) && l.quantity > 0))).toBe(true);
  });
});
