import { afterEach, describe, expect, it } from 'vitest';
import { newDataKey, openBytes, openText, type DataKeys } from '../../db/crypto.ts';
import { closeOrderSealer, orderSealerCounts, SEAL_ASIDE_MIN_ORDERS, sealAside, type OrderToSeal } from '../../db/order-sealer.ts';
import { unpackPayload } from '../../db/payload-codec.ts';
import type { SealedOrder } from '../../db/sealed-order.ts';
import { createMetrics } from '../../src/metrics.ts';

const keys: DataKeys = { current: newDataKey(), previous: [] };
const orders = (n: number): OrderToSeal[] =>
  Array.from({ length: n }, (_, i) => ({
    personal: {
      buyerName: `Zoë Ærø ${i}`,
      buyerEmail: i % 2 ? `b${i}@example.com` : undefined,
      shippingAddress: { name: `Zoë ${i}`, line1: `${i} Main St`, city: 'Springfield', postalCode: '12345', countryCode: 'US' },
      buyerNote: i % 3 ? undefined : 'x'.repeat(i * 50),
    },
    raw: { order_id: `O-${i}`, lines: [{ sku: `S-${i}` }] },
  }));

/** A sealed order opened again with the purposes the columns are read with (db/orders.ts). */
const opened = (s: SealedOrder) => ({
  buyerName: openText(keys, s.buyer_name, 'orders.buyer_name') ?? undefined,
  buyerEmail: openText(keys, s.buyer_email, 'orders.buyer_email') ?? undefined,
  shippingAddress: JSON.parse(openText(keys, s.shipping_address, 'orders.shipping_address')!),
  buyerNote: openText(keys, s.buyer_note, 'orders.buyer_note') ?? undefined,
  others: [s.buyer_username, s.gift_message],
  raw: unpackPayload(openBytes(keys, s.payload, 'order_payloads.payload')),
});
const expected = (o: OrderToSeal) => ({ ...o.personal, others: [null, null], raw: o.raw });

describe('order sealer', () => {
  afterEach(() => closeOrderSealer());

  it('seals a big page on its thread into values that open as the orders, in order', async () => {
    const before = orderSealerCounts();
    const page = orders(SEAL_ASIDE_MIN_ORDERS + 5);
    const sealed = await sealAside(keys, page)!;
    expect(sealed.map(opened)).toEqual(page.map(expected));
    expect(orderSealerCounts()).toEqual({ onThread: before.onThread + page.length, here: before.here });
    const scrape = await createMetrics().registry.metrics();
    expect(scrape).toContain(`osw_orders_sealed_total{on="sealer_thread"} ${before.onThread + page.length}`);
    expect(scrape).toContain(`osw_orders_sealed_total{on="poll_thread"} ${before.here}`);
    // A second batch on the same thread; the first one's payloads are not overwritten by it.
    const next = orders(SEAL_ASIDE_MIN_ORDERS).reverse();
    expect((await sealAside(keys, next)!).map(opened)).toEqual(next.map(expected));
    expect(sealed.map(opened)).toEqual(page.map(expected));
  });

  it('leaves a small page to the caller', () => {
    expect(sealAside(keys, orders(SEAL_ASIDE_MIN_ORDERS - 1))).toBeUndefined();
  });

  it('still seals what the thread had not answered when it ends', async () => {
    const page = orders(SEAL_ASIDE_MIN_ORDERS * 4);
    const pending = sealAside(keys, page)!;
    await closeOrderSealer();
    expect((await pending).map(opened)).toEqual(page.map(expected));
  });

  it('fails the page when a raw order cannot be stored at all', async () => {
    const cyclic: Record<string, unknown> = { order_id: 'loop' };
    cyclic.self = cyclic;
    // Structured clone carries the cycle to the thread; JSON cannot write it, there or here.
    await expect(sealAside(keys, [...orders(SEAL_ASIDE_MIN_ORDERS), { personal: {}, raw: cyclic }])!).rejects.toThrow(/circular/i);
  });

  it('seals on the poll\'s thread a page too big for the thread, which it ends, and waits before starting another', async () => {
    const before = orderSealerCounts();
    // About 35 MB of JSON, several times that as objects: past the thread's 64 MB heap while it reads the message.
    const lines = (i: number) => Array.from({ length: 20_000 }, (_, j) => ({ sku: `S-${i}-${j}`, title: `line ${j} `.repeat(10) }));
    const huge = orders(SEAL_ASIDE_MIN_ORDERS).map((o, i) => ({ ...o, raw: { order_id: `H-${i}`, lines: lines(i) } }));
    const sealed = await sealAside(keys, huge)!;
    expect(sealed).toHaveLength(huge.length);
    expect(opened(sealed.at(-1)!)).toEqual(expected(huge.at(-1)!));
    expect(orderSealerCounts()).toEqual({ onThread: before.onThread, here: before.here + huge.length });
    // The next big page does not start a thread at once: it is sealed here too.
    const next = orders(SEAL_ASIDE_MIN_ORDERS);
    expect((await sealAside(keys, next)!).map(opened)).toEqual(next.map(expected));
    expect(orderSealerCounts()).toEqual({ onThread: before.onThread, here: before.here + huge.length + next.length });
  });
});
