import { afterEach, describe, expect, it } from 'vitest';
import { unpackPayload } from '../../db/payload-codec.ts';
import { closePayloadPacker, PACK_ASIDE_MIN_ORDERS, packAside, payloadPackerCounts } from '../../db/payload-packer.ts';

const raws = (n: number) => Array.from({ length: n }, (_, i) => ({ order_id: `O-${i}`, buyer: { name: 'Zoë Ærø' }, lines: [{ sku: `S-${i}`, text: 'x'.repeat(i * 50) }] }));

describe('payload packer', () => {
  afterEach(() => closePayloadPacker());

  it('packs a big page on its thread into payloads that read back as the raw orders, in order', async () => {
    const before = payloadPackerCounts();
    const page = raws(PACK_ASIDE_MIN_ORDERS + 5);
    const packed = await packAside(page)!;
    expect(packed.map((p) => unpackPayload(p))).toEqual(page);
    expect(payloadPackerCounts()).toEqual({ onThread: before.onThread + page.length, here: before.here });
    // A second batch on the same thread, and buffers of their own (one page's bytes are never shared with another's).
    const next = raws(PACK_ASIDE_MIN_ORDERS).reverse();
    expect((await packAside(next)!).map((p) => unpackPayload(p))).toEqual(next);
    expect(packed.map((p) => unpackPayload(p))).toEqual(page);
  });

  it('leaves a small page to the caller', () => {
    expect(packAside(raws(PACK_ASIDE_MIN_ORDERS - 1))).toBeUndefined();
  });

  it('still packs what the thread had not answered when it ends', async () => {
    const page = raws(PACK_ASIDE_MIN_ORDERS * 4);
    const pending = packAside(page)!;
    await closePayloadPacker();
    expect((await pending).map((p) => unpackPayload(p))).toEqual(page);
  });

  it('fails the page when a raw order cannot be packed at all', async () => {
    const cyclic: Record<string, unknown> = { order_id: 'loop' };
    cyclic.self = cyclic;
    // Structured clone carries the cycle to the thread; JSON cannot write it, there or here.
    await expect(packAside([...raws(PACK_ASIDE_MIN_ORDERS), cyclic])!).rejects.toThrow(/circular/i);
  });
});
