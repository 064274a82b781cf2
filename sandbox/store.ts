import type { Platform } from '../adapters/types.ts';
import { compareCodeUnits } from '../src/compare.ts';
import { createRandom, generateOrder, type SandboxOrder, type SandboxOrderState } from './generator.ts';

export interface RecordedCall {
  platform: Platform;
  operation: string;
  at: string;
  params?: Record<string, unknown>;
  body?: unknown;
  status: number;
}

export interface Fault {
  platform: Platform;
  operation: string;
  status: number;
  /** How many matching requests fail; then the fault is used up. */
  remaining: number;
  /** Let this many matching requests through first (fail the second read, say). */
  skip?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Hold the answer this long and then carry the request out normally (status unused). */
  holdMs?: number;
}

/** The sandbox's state: orders per platform, every call made, and injected faults. */
export class SandboxStore {
  readonly orders: Record<Platform, Map<string, SandboxOrder>> = { amazon: new Map(), ebay: new Map(), etsy: new Map() };
  readonly calls: RecordedCall[] = [];
  readonly faults: Fault[] = [];
  private seq = 0;
  private lastTimestamp = 0;
  readonly random;
  /** Lines per generated order are 1..maxLines (benchmarks use 5). */
  maxLines = 3;

  constructor(seed = 42) {
    this.random = createRandom(seed);
  }

  /** Strictly increasing timestamps, so "modified since" never misses two changes in one millisecond. */
  tick(now = Date.now()): string {
    this.lastTimestamp = Math.max(now, this.lastTimestamp + 1);
    return new Date(this.lastTimestamp).toISOString();
  }

  /** Moves every order `ms` into the past: a backlog, not orders placed this very second. */
  backdate(ms: number): void {
    for (const map of Object.values(this.orders)) {
      for (const o of map.values()) {
        o.createdAt = new Date(Date.parse(o.createdAt) - ms).toISOString();
        o.updatedAt = new Date(Date.parse(o.updatedAt) - ms).toISOString();
        o.shipBy = new Date(Date.parse(o.shipBy) - ms + 7 * 86_400_000).toISOString();
      }
    }
  }

  add(platform: Platform, count = 1, state?: SandboxOrderState): SandboxOrder[] {
    const made: SandboxOrder[] = [];
    for (let i = 0; i < count; i++) {
      this.seq += 1;
      const order = generateOrder({ platform, seq: this.seq, now: new Date(), random: this.random, state, maxLines: this.maxLines });
      order.numericId = 3_000_000_000 + this.seq;
      order.id =
        platform === 'amazon'
          ? `${String(100 + (this.seq % 900)).padStart(3, '0')}-${String(this.seq).padStart(7, '0')}-${String(this.random.int(1_000_000, 9_999_999))}`
          : platform === 'ebay'
            ? `${String(10 + (this.seq % 89))}-${String(10_000 + this.seq).padStart(5, '0')}-${String(this.random.int(10_000, 99_999))}`
            : String(order.numericId);
      order.updatedAt = this.tick();
      this.orders[platform].set(order.id, order);
      made.push(order);
    }
    return made;
  }

  get(platform: Platform, id: string): SandboxOrder | undefined {
    return this.orders[platform].get(id);
  }

  /** Applies a change and bumps the order's last-modified time, as a marketplace would. */
  update(platform: Platform, id: string, change: (o: SandboxOrder) => void): SandboxOrder {
    const order = this.get(platform, id);
    if (!order) throw new Error(`no sandbox ${platform} order ${id}`);
    change(order);
    order.updatedAt = this.tick();
    return order;
  }

  /** Orders modified in [from, to), oldest first. */
  modifiedBetween(platform: Platform, from?: string, to?: string): SandboxOrder[] {
    const lo = from === undefined ? undefined : Date.parse(from);
    const hi = to === undefined ? undefined : Date.parse(to);
    if (Number.isNaN(lo) || Number.isNaN(hi)) return [];
    const all = this.byUpdateTime(platform);
    // ISO times of one format sort as text: binary search instead of a scan of every order.
    const start = lo === undefined ? 0 : firstAtOrAfter(all, new Date(lo).toISOString());
    const end = hi === undefined ? all.length : firstAtOrAfter(all, new Date(hi).toISOString());
    return all.slice(start, end);
  }

  /**
   * Every order of a platform by update time (then id), kept between requests: sorting a backlog of
   * tens of thousands for each page made the sandbox, not the worker, what a backlog benchmark
   * measured. Checked on each use, since tests and benchmarks also change orders directly.
   */
  private byUpdateTime(platform: Platform): SandboxOrder[] {
    const map = this.orders[platform];
    const cached = this.sortedCache[platform];
    const valid =
      cached !== undefined &&
      cached.length === map.size &&
      cached.every((o, i) => map.get(o.id) === o && (i === 0 || compareByUpdate(cached[i - 1]!, o) < 0));
    if (valid) return cached;
    const sorted = [...map.values()].sort(compareByUpdate);
    this.sortedCache[platform] = sorted;
    return sorted;
  }

  private readonly sortedCache: Partial<Record<Platform, SandboxOrder[]>> = {};

  record(call: Omit<RecordedCall, 'at'>): void {
    this.calls.push({ ...call, at: new Date().toISOString() });
    if (this.calls.length > 100_000) this.calls.splice(0, 50_000);
  }

  /** A fault queued for this operation, used up one request at a time. */
  takeFault(platform: Platform, operation: string): Fault | undefined {
    const fault = this.faults.find((f) => f.platform === platform && (f.operation === operation || f.operation === '*') && f.remaining > 0);
    if (!fault) return undefined;
    if (fault.skip) {
      fault.skip -= 1;
      return undefined;
    }
    fault.remaining -= 1;
    return fault;
  }

  /** Moves pending orders to paid/unshipped and sometimes cancels one: the demo's sense of time. */
  advance(platform: Platform): void {
    for (const order of this.orders[platform].values()) {
      if (order.state === 'pending' && this.random.chance(0.5)) {
        this.update(platform, order.id, (o) => {
          o.state = 'unshipped';
          o.paid = true;
        });
      } else if (platform === 'etsy' && order.state === 'unshipped' && order.shipments.length === 0 && this.random.chance(0.01)) {
        // Etsy sellers mark receipts shipped on the site without tracking: shipped, no shipment record.
        this.update(platform, order.id, (o) => {
          o.state = 'shipped';
          for (const l of o.lines) l.quantityShipped = l.quantity;
        });
      } else if (order.state === 'unshipped' && order.shipments.length === 0 && this.random.chance(0.01)) {
        this.update(platform, order.id, (o) => {
          if (o.cancelRequested || platform !== 'ebay') o.state = 'cancelled';
          else o.cancelRequested = true; // eBay buyers ask first; the seller decides
        });
      }
    }
  }
}

const compareByUpdate = (a: SandboxOrder, b: SandboxOrder) => compareCodeUnits(a.updatedAt, b.updatedAt) || compareCodeUnits(a.id, b.id);

/** The index of the first order updated at or after `iso` (the list sorted by update time). */
function firstAtOrAfter(list: SandboxOrder[], iso: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.updatedAt < iso) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
