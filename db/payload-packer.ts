import { Worker } from 'node:worker_threads';
import type { PackReply, PackRequest } from './payload-pack-thread.ts';
import { packPayload } from './payload-codec.ts';

/**
 * Packs raw payloads (JSON + deflate, db/payload-codec.ts) on a thread of its own, for pages big
 * enough to be worth the hand-off: in a first sync, packing was a quarter of the ingest's main-thread
 * time (about 50 µs per order, mostly zlib's per-call setup), and here it runs while the previous
 * page commits. The thread starts with the first big page and ends after IDLE_MS without one, so a
 * worker that polls a few orders at a time never carries it. If the thread fails, packing falls back
 * to the caller's thread: an order is never stored without its payload.
 */
export const PACK_ASIDE_MIN_ORDERS = 16;
const IDLE_MS = 30_000;

// Beside this module: the .ts source in development and tests, the bundle's own chunk in dist/.
const THREAD_URL = new URL(`./payload-pack-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

type Pending = { resolve: (packed: Buffer[]) => void; reject: (err: unknown) => void; raws: unknown[] };

/** Payloads packed by the thread, and by the caller's thread after the thread failed or ended. */
const packed = { onThread: 0, here: 0 };
export const payloadPackerCounts = () => ({ ...packed });

/** A batch packed on the caller's thread (no thread, or it failed). */
function packHere(job: Pending): void {
  try {
    job.resolve(job.raws.map((raw) => packPayload(raw)));
    packed.here += job.raws.length;
  } catch (err) {
    job.reject(err);
  }
}

function unpackReply(reply: { bytes: ArrayBuffer; lengths: number[] }): Buffer[] {
  let at = 0;
  return reply.lengths.map((length) => Buffer.from(reply.bytes, (at += length) - length, length));
}

class PayloadPacker {
  private thread: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  /** The packed payloads of `raws`, in order; packed here when the thread is not available. */
  pack(raws: unknown[]): Promise<Buffer[]> {
    const thread = this.ensureThread();
    return new Promise((resolve, reject) => {
      const job = { resolve, reject, raws };
      if (!thread) return packHere(job);
      const id = this.nextId++;
      clearTimeout(this.idleTimer);
      this.pending.set(id, job);
      thread.postMessage({ id, raws } satisfies PackRequest);
    });
  }

  /** Ends the thread now (tests, shutdown); the next big page starts another. */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    clearTimeout(this.idleTimer);
    this.settleInline();
    await thread?.terminate();
  }

  private ensureThread(): Worker | undefined {
    if (this.thread) return this.thread;
    try {
      // Inherits the process's flags (type stripping in development); no stdin, output to the process's own.
      const thread = new Worker(THREAD_URL);
      thread.unref();
      thread.on('message', (reply: PackReply) => this.settle(reply));
      thread.on('error', () => this.abandon(thread));
      thread.on('exit', () => this.abandon(thread));
      this.thread = thread;
      return thread;
    } catch {
      return undefined;
    }
  }

  private settle(reply: PackReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    if ('error' in reply) packHere(job);
    else {
      packed.onThread += reply.lengths.length;
      job.resolve(unpackReply(reply));
    }
    if (this.pending.size === 0) {
      this.idleTimer = setTimeout(() => void this.close(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  /** The thread died: what it had not answered is packed here, and the next page starts a new one. */
  private abandon(thread: Worker): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    this.settleInline();
  }

  private settleInline(): void {
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      packHere(job);
    }
  }
}

const packer = new PayloadPacker();

/**
 * The packed payloads of a page's raw orders, packed aside when the page is big enough; undefined
 * for a small one (the upsert packs the changed orders itself).
 */
export function packAside(raws: unknown[]): Promise<Buffer[]> | undefined {
  return raws.length >= PACK_ASIDE_MIN_ORDERS ? packer.pack(raws) : undefined;
}

export const closePayloadPacker = () => packer.close();
