import { Worker } from 'node:worker_threads';
import type { DataKeys } from './crypto.ts';
import type { SealReply, SealRequest } from './order-seal-thread.ts';
import { sealOrder, type PersonalFields, type SealedOrder } from './sealed-order.ts';

/**
 * Seals orders (personal columns and the packed raw payload, db/sealed-order.ts) on a thread of its
 * own, for pages big enough to be worth the hand-off. In a first sync, packing and sealing were a
 * third of the ingest's main-thread time (about 70 µs per order, most of it zlib's per-call setup);
 * here they run while the previous page commits. The thread starts with the first big page and ends
 * after IDLE_MS without one, so a worker that polls a few orders at a time never carries it. If the
 * thread fails, sealing falls back to the caller's thread: an order is never stored without them.
 */
export const SEAL_ASIDE_MIN_ORDERS = 16;
const IDLE_MS = 30_000;
/**
 * The thread holds a page or two of raw orders at a time (a few MB); its heap is capped well above
 * that, so a fault in it cannot take the process's memory. A page too big for it ends the thread, and
 * is sealed on the poll's thread like any other the thread could not answer. (A 16 MB cap saved
 * about 15 MB of RSS in a big sync but cost about 10 % of the ingest: not taken.)
 */
const THREAD_LIMITS = { maxOldGenerationSizeMb: 64 };

// Beside this module: the .ts source in development and tests, the bundle's own entry in dist/.
const THREAD_URL = new URL(`./order-seal-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export type OrderToSeal = { personal: PersonalFields; raw: unknown };
type Pending = { resolve: (sealed: SealedOrder[]) => void; reject: (err: unknown) => void; keys: DataKeys; orders: OrderToSeal[] };

/** Orders sealed by the thread, and by the caller's thread after the thread failed or ended. */
const sealed = { onThread: 0, here: 0 };
export const orderSealerCounts = () => ({ ...sealed });

/** A batch sealed on the caller's thread (no thread, or it failed). */
function sealHere(job: Pending): void {
  try {
    job.resolve(job.orders.map((o) => sealOrder(job.keys, o.personal, o.raw)));
    sealed.here += job.orders.length;
  } catch (err) {
    job.reject(err);
  }
}

function readReply(reply: Extract<SealReply, { columns: unknown }>): SealedOrder[] {
  let at = 0;
  return reply.columns.map((columns, i) => {
    const length = reply.lengths[i]!;
    return { ...columns, payload: Buffer.from(reply.payloads, (at += length) - length, length) };
  });
}

class OrderSealer {
  private thread: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  /** After the thread failed, pages are sealed here until then: a thread that cannot run is not restarted for every page. */
  private failedUntil = 0;

  /** `orders` sealed with the current key, in order; sealed here when the thread is not available. */
  seal(keys: DataKeys, orders: OrderToSeal[]): Promise<SealedOrder[]> {
    const thread = this.ensureThread();
    return new Promise((resolve, reject) => {
      const job = { resolve, reject, keys, orders };
      if (!thread) return sealHere(job);
      const id = this.nextId++;
      clearTimeout(this.idleTimer);
      this.pending.set(id, job);
      thread.ref(); // an answer is owed: the process must not exit before it (a CLI sync has nothing else running)
      thread.postMessage({ id, key: keys.current, orders } satisfies SealRequest);
    });
  }

  /** Ends the thread now (tests, shutdown); the next big page starts another, even after a failure. */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    this.failedUntil = 0;
    clearTimeout(this.idleTimer);
    this.sealPendingHere();
    await thread?.terminate();
  }

  private ensureThread(): Worker | undefined {
    if (this.thread) return this.thread;
    if (Date.now() < this.failedUntil) return undefined;
    try {
      // Inherits the process's flags (type stripping in development); output to the process's own.
      const thread = new Worker(THREAD_URL, { resourceLimits: THREAD_LIMITS });
      thread.unref();
      thread.on('message', (reply: SealReply) => this.settle(reply));
      thread.on('error', () => this.abandon(thread));
      thread.on('exit', () => this.abandon(thread));
      this.thread = thread;
      return thread;
    } catch {
      this.failedUntil = Date.now() + IDLE_MS;
      return undefined;
    }
  }

  private settle(reply: SealReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    if ('error' in reply) sealHere(job);
    else {
      sealed.onThread += reply.lengths.length;
      job.resolve(readReply(reply));
    }
    if (this.pending.size === 0) {
      this.thread?.unref();
      this.idleTimer = setTimeout(() => void this.close(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  /** The thread died: what it had not answered is sealed here, and so is every page for the next IDLE_MS. */
  private abandon(thread: Worker): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    this.failedUntil = Date.now() + IDLE_MS;
    this.sealPendingHere();
  }

  private sealPendingHere(): void {
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      sealHere(job);
    }
  }
}

const sealer = new OrderSealer();

/**
 * A page's changed orders sealed aside when there are enough of them; undefined for a few (the
 * upsert seals each itself).
 */
export function sealAside(keys: DataKeys, orders: OrderToSeal[]): Promise<SealedOrder[]> | undefined {
  return orders.length >= SEAL_ASIDE_MIN_ORDERS ? sealer.seal(keys, orders) : undefined;
}

export const closeOrderSealer = () => sealer.close();
