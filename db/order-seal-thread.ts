// The order sealer's thread (db/order-sealer.ts): seals each batch of orders it is sent, in order.
import { parentPort } from 'node:worker_threads';
import type { DataKey } from './crypto.ts';
import { sealOrder, type PersonalFields, type SealedOrder } from './sealed-order.ts';

export interface SealRequest {
  id: number;
  key: DataKey;
  orders: { personal: PersonalFields; raw: unknown }[];
}
/** A batch's sealed columns, and its payloads end to end in one transferred buffer (no copy back) with each one's length. */
export type SealReply = { id: number; columns: Omit<SealedOrder, 'payload'>[]; payloads: ArrayBuffer; lengths: number[] } | { id: number; error: string };

// The key arrives as plain bytes; one Buffer per key id, so crypto.ts makes its KeyObject once.
const keys = new Map<string, DataKey>();
const keyOf = (k: DataKey) => keys.get(k.id) ?? keys.set(k.id, { id: k.id, key: Buffer.from(k.key) }).get(k.id)!;

parentPort!.on('message', ({ id, key, orders }: SealRequest) => {
  try {
    const current = keyOf(key);
    const sealed = orders.map((o) => sealOrder({ current, previous: [] }, o.personal, o.raw));
    const payloads = new Uint8Array(sealed.reduce((n, s) => n + s.payload.length, 0));
    let at = 0;
    for (const { payload } of sealed) {
      payloads.set(payload, at);
      at += payload.length;
    }
    const columns = sealed.map(({ payload: _, ...columns }) => columns);
    parentPort!.postMessage({ id, columns, payloads: payloads.buffer, lengths: sealed.map((s) => s.payload.length) } satisfies SealReply, [payloads.buffer]);
  } catch (err) {
    parentPort!.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies SealReply);
  }
});
