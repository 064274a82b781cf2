import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amazonOrderToOrder } from '../../adapters/amazon/to-order.ts';
import { ebayOrderToOrder } from '../../adapters/ebay/to-order.ts';
import { etsyReceiptToOrder } from '../../adapters/etsy/to-order.ts';
import type { Order } from '../../adapters/types.ts';
import { BadPayloadError } from '../../src/errors.ts';

/** Cases per platform; the README states the total. FUZZ_SEED picks another sequence (CI runs a fixed one). */
export const NORMALIZER_RUNS = 400;
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as unknown;
const realOf = (platform: string) => {
  const dir = new URL(`../fixtures/${platform}/real/`, import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json') && !f.startsWith('v0-') && !f.includes('error') && !f.includes('custom') && !f.includes('lwa'))
    .map((f) => read(`../fixtures/${platform}/real/${f}`));
};
const SEEDS: Record<string, { payloads: unknown[]; normalize: (raw: never) => Order }> = {
  etsy: {
    payloads: [...realOf('etsy'), ...(read('../fixtures/etsy/receipts-page-1.json') as { results: unknown[] }).results],
    normalize: (raw) => etsyReceiptToOrder(raw, '1'),
  },
  ebay: {
    payloads: [...realOf('ebay'), ...(read('../fixtures/ebay/get-orders-page-1.json') as { orders: unknown[] }).orders],
    normalize: (raw) => ebayOrderToOrder(raw, 's'),
  },
  amazon: {
    payloads: (read('../fixtures/amazon/search-orders-page-1.json') as { orders: unknown[] }).orders.map((order) => ({ order })),
    normalize: (raw) => amazonOrderToOrder(raw, 'S'),
  },
};

/** Every path to a value inside a JSON document. */
function paths(doc: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(doc)) return [prefix, ...doc.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (doc && typeof doc === 'object') return [prefix, ...Object.entries(doc).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

/** The document with the value at `path` replaced (or deleted, when `value` is the DELETE marker). */
const DELETE = Symbol('delete');
function mutate(doc: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value === DELETE ? undefined : value;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (value === DELETE) delete node[last];
  else node[last] = value;
  return copy;
}

/** What any stored order must satisfy, whatever it came from: only whole, safe numbers. */
function assertSane(o: Order) {
  for (const n of [o.totalMinor, o.subtotalMinor, o.discountMinor, o.shippingMinor, o.taxMinor]) {
    if (n !== undefined) expect(Number.isSafeInteger(n), `money ${n}`).toBe(true);
  }
  for (const i of o.items) {
    expect(Number.isSafeInteger(i.quantity) && i.quantity >= 0, `quantity ${i.quantity}`).toBe(true);
    expect(Number.isSafeInteger(i.unitPriceMinor), `unit price ${i.unitPriceMinor}`).toBe(true);
    expect(Number.isSafeInteger(i.quantityShipped ?? 0) && (i.quantityShipped ?? 0) >= 0).toBe(true);
    expect(typeof i.externalLineId === 'string' && i.externalLineId.length > 0).toBe(true);
  }
  expect(Number.isNaN(Date.parse(o.purchasedAt))).toBe(false);
  expect(Number.isNaN(Date.parse(o.updatedAt))).toBe(false);
  expect(['pending', 'unshipped', 'partially_shipped', 'shipped', 'cancelled']).toContain(o.status);
}

const hostile = fc.oneof(
  fc.constant(DELETE),
  fc.constant(null),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -1, 0, 0.5, Number.MAX_SAFE_INTEGER + 2, '', '12.345', '-0', 'NaN', '1e5', '  7 ', '&amp;&#39;', '\u0000', 'PAID', 'paid', 'Canceled'),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);

describe.each(Object.keys(SEEDS))('%s normalizer under mutated real payloads', (platform) => {
  const { payloads, normalize } = SEEDS[platform]!;
  it(`never crashes and never stores a wrong number (${NORMALIZER_RUNS} cases)`, () => {
    const seeds = payloads.map((p) => ({ doc: p, paths: paths(p) }));
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }).chain((s) =>
          fc.tuple(fc.constant(s), fc.array(fc.tuple(fc.nat({ max: seeds[s]!.paths.length - 1 }), hostile), { minLength: 1, maxLength: 4 })),
        ),
        ([s, edits]) => {
          let doc = seeds[s]!.doc;
          for (const [p, value] of edits) {
            const all = paths(doc);
            doc = mutate(doc, all[p % all.length]!, value);
          }
          try {
            assertSane(normalize(doc as never));
          } catch (err) {
            // Refused with the field named: the order is quarantined. Anything else is a bug.
            if (!(err instanceof BadPayloadError)) throw err;
          }
        },
      ),
      { numRuns: NORMALIZER_RUNS, seed: SEED },
    );
  });
});
