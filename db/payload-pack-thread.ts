// The payload packer's thread (db/payload-packer.ts): packs each batch of raw orders it is sent, in order.
import { parentPort } from 'node:worker_threads';
import { packPayload } from './payload-codec.ts';

export interface PackRequest {
  id: number;
  raws: unknown[];
}
/** A batch's payloads end to end in one transferred buffer (no copy back), with each one's length. */
export type PackReply = { id: number; bytes: ArrayBuffer; lengths: number[] } | { id: number; error: string };

parentPort!.on('message', ({ id, raws }: PackRequest) => {
  try {
    const packed = raws.map((raw) => packPayload(raw));
    const bytes = new Uint8Array(packed.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of packed) {
      bytes.set(p, at);
      at += p.length;
    }
    parentPort!.postMessage({ id, bytes: bytes.buffer, lengths: packed.map((p) => p.length) } satisfies PackReply, [bytes.buffer]);
  } catch (err) {
    parentPort!.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies PackReply);
  }
});
