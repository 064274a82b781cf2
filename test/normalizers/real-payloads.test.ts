import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { amazonOrderToOrder } from '../../adapters/amazon/to-order.ts';
import { ebayOrderToOrder } from '../../adapters/ebay/to-order.ts';
import { etsyReceiptToOrder } from '../../adapters/etsy/to-order.ts';
import type { Order } from '../../adapters/types.ts';
import { BadPayloadError } from '../../src/errors.ts';

/**
 * Real recorded payloads (test/fixtures/<platform>/real/, provenance in each README) against the
 * normalized Order worked out by hand in `<name>.expected.json`: status, totals, unit prices,
 * quantities, ship-by, address (or unavailable) and personalization, byte for byte.
 */
const NORMALIZE: Record<string, (raw: never) => Order> = {
  etsy: (raw) => etsyReceiptToOrder(raw, '1000001'),
  ebay: (raw) => ebayOrderToOrder(raw, 'default'),
  amazon: (raw) => amazonOrderToOrder({ order: raw }, 'SELLER'),
};

interface Expected {
  externalId: string;
  quarantine?: string;
  [field: string]: unknown;
}

/** The fields an expectation states, in its shape (absent values as null). */
function project(o: Order, expected: Expected) {
  const out: Record<string, unknown> = {
    externalId: o.externalId,
    status: o.status,
    paymentStatus: o.paymentStatus,
    currency: o.currency,
    totalMinor: o.totalMinor,
    subtotalMinor: o.subtotalMinor ?? null,
    discountMinor: o.discountMinor ?? null,
    shippingMinor: o.shippingMinor ?? null,
    taxMinor: o.taxMinor ?? null,
    shipBy: o.shipBy ?? null,
    addressUnavailable: o.addressUnavailable ?? false,
    shippingAddress: o.shippingAddress ?? null,
    buyerUsername: o.buyerUsername ?? null,
    buyerUsernameKind: o.buyerUsernameKind ?? null,
    items: o.items.map((i) => ({
      externalLineId: i.externalLineId,
      sku: i.sku,
      title: i.title,
      quantity: i.quantity,
      unitPriceMinor: i.unitPriceMinor,
      personalization: i.personalization ?? null,
    })),
  };
  for (const k of Object.keys(out)) if (!(k in expected)) delete out[k];
  return out;
}

const cases = Object.keys(NORMALIZE).flatMap((platform) => {
  const dir = new URL(`../fixtures/${platform}/real/`, import.meta.url);
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.expected.json'));
  } catch {
    return [];
  }
  return files.map((f) => {
    const name = f.replace(/\.expected\.json$/, '');
    const read = (file: string) => JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as unknown;
    return { platform, name, raw: read(`${name}.json`), expected: read(f) as Expected };
  });
});

describe('real recorded payloads normalize as worked out by hand', () => {
  it('has the corpus the README promises (at least 10 Etsy receipts and 10 eBay orders)', () => {
    expect(cases.filter((c) => c.platform === 'etsy').length).toBeGreaterThanOrEqual(10);
    expect(cases.filter((c) => c.platform === 'ebay').length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases.map((c) => [`${c.platform}/${c.name}`, c] as const))('%s', (_label, c) => {
    const normalize = NORMALIZE[c.platform]!;
    if (c.expected.quarantine) {
      const err = (() => {
        try {
          normalize(c.raw as never);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(BadPayloadError);
      expect((err as BadPayloadError).field).toBe(c.expected.quarantine);
      return;
    }
    const { quarantine: _none, ...expected } = c.expected;
    expect(project(normalize(c.raw as never), c.expected)).toStrictEqual(expected);
  });
});
