import { createHash } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { ShutdownError } from '../src/errors.ts';
import type { Metrics } from '../src/metrics.ts';
import type { RateLimit } from './types.ts';

/**
 * Where the limiters of a process keep their state and when they stop waiting.
 * `shared`: in Redis (Bottleneck clustering), so every worker process on the same Redis draws from
 * one bucket per operation and a restart keeps what was spent. Without it, buckets live in memory.
 * `signal`: aborted at shutdown; calls still waiting for a token are dropped (never sent).
 * `metrics`: where the limiters report their queues, waits and every call's outcome (the worker's).
 */
export interface LimiterScope {
  signal?: AbortSignal;
  shared?: { connection: Bottleneck.IORedisConnection; prefix: string };
  metrics?: Metrics;
}

/** A Redis limiter's keys outlive a quiet spell this long; by then every bucket would be full again. */
const SHARED_STATE_TTL_MS = 25 * 3_600_000;


/**
 * One Bottleneck per operation, built from the platform's published limits as a token bucket:
 * `burst` tokens to start, one more every 1/rate seconds, never above `burst`. A per-day quota
 * takes a token from a second limiter first, whose reservoir refills every 24 h. MARKETPLACE_API_RATE_LIMIT is a
 * ceiling on top (requests per minute), never a way to exceed the published figures.
 */
let rateScale = 1;

/**
 * Multiplies every published limit. Only for the sandbox benchmarks and load tests, which scale the
 * sandbox's limits by the same factor; production always runs at 1.
 */
export function setRateScale(scale: number): void {
  if (!(scale > 0)) throw new Error(`rate scale must be positive, got ${scale}`);
  rateScale = scale;
}

export class OperationLimiters {
  private readonly limiters = new Map<string, Bottleneck>();
  private readonly limits: Record<string, RateLimit>;
  private readonly ceilingPerSecond: number;

  private readonly scope: LimiterScope;
  /** The metrics' platform label: the account name's platform part (`amazon` of `amazon:SELLER`). */
  private readonly platform: string;
  /** Every limiter made, the day limiters included (all are stopped). */
  private readonly all: Bottleneck[] = [];
  /** The daily quota an operation draws from (eBay, Etsy), taken before the operation's own token. */
  private readonly days = new Map<string, Bottleneck>();
  /**
   * With shared buckets, `maxConcurrent` is kept in this process: Bottleneck counts a running call in
   * Redis until it ends, so a process killed mid-call would hold its slot for good (or, with a job
   * expiration, a slow call would be cut off). Rates and day quotas are shared; in-flight limits are
   * per process (two workers: up to twice as many requests in flight).
   */
  private readonly slots = new Map<string, Bottleneck>();

  /** `name` tells accounts apart in Redis (`amazon:SELLER`); needed with a shared scope. */
  constructor(limits: Record<string, RateLimit>, ceilingPerMinute?: number, scope: LimiterScope = {}, name = 'default') {
    this.limits = limits;
    this.scope = scope;
    this.platform = name.split(':')[0]!;
    this.ceilingPerSecond = ceilingPerMinute ? ceilingPerMinute / 60 : Infinity;
    // Operations sharing a daily quota (eBay, Etsy) share one day limiter.
    const daily = new Map<number, Bottleneck>();
    for (const [op, limit] of Object.entries(limits)) {
      let settings = this.settings(limit);
      if (scope.shared && settings.maxConcurrent) {
        this.slots.set(op, this.create(`${name}:${op}:slots`, { maxConcurrent: settings.maxConcurrent }, { local: true }));
        settings = { ...settings, maxConcurrent: null };
      }
      const limiter = this.create(`${name}:${op}`, settings);
      if (limit.perDay) {
        let day = daily.get(limit.perDay);
        if (!day) {
          const perDay = Math.round(limit.perDay * rateScale);
          day = this.create(`${name}:day`, { reservoir: perDay, reservoirRefreshAmount: perDay, reservoirRefreshInterval: 86_400_000 });
          daily.set(limit.perDay, day);
        }
        this.days.set(op, day);
      }
      this.limiters.set(op, limiter);
    }
    scope.signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  private create(name: string, settings: Bottleneck.ConstructorOptions, o: { local?: boolean } = {}): Bottleneck {
    const limiter = this.build(name, settings, o.local);
    this.all.push(limiter);
    return limiter;
  }

  private build(name: string, settings: Bottleneck.ConstructorOptions, local = false): Bottleneck {
    const shared = this.scope.shared;
    if (!shared || local) return new Bottleneck(settings);
    // Redis keeps a limiter's first settings: the id names them, so changed limits start a new bucket.
    const version = createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 8);
    // Redis computes refills from elapsed time at every call; the heartbeat only wakes waiting
    // calls, so it can beat slowly: often enough that the bucket never fills up meanwhile.
    const r = settings.reservoirIncreaseInterval && settings.reservoirIncreaseAmount ? settings.reservoirIncreaseAmount / settings.reservoirIncreaseInterval : 0;
    const fillMs = r > 0 ? (settings.reservoirIncreaseMaximum ?? 1) / r : Infinity;
    return new Bottleneck({
      ...settings,
      id: `${shared.prefix}:${name}:${version}`,
      datastore: 'ioredis',
      connection: shared.connection,
      clearDatastore: false,
      timeout: SHARED_STATE_TTL_MS,
      heartbeatInterval: Math.round(Math.max(50, Math.min(1_000, fillMs / 2))),
    });
  }

  private settings(limit: RateLimit): Bottleneck.ConstructorOptions {
    const ceiling = limit.notApiCall ? Infinity : this.ceilingPerSecond;
    const rate = Math.min(limit.ratePerSecond * rateScale, ceiling);
    const burst = Math.max(1, Math.min(limit.burst, Math.ceil(ceiling === Infinity ? limit.burst : ceiling * 60)));
    // Bottleneck adds at most one increment per heartbeat (250 ms by default), so a fast rate needs
    // a faster heartbeat, and past 20/s several tokens per beat, or the bucket refills too slowly.
    // Each beat may add no more than the burst, or the bucket would let out more than the API's.
    const interval = 1000 / rate;
    const beat = Math.max(5, Math.min(250, Math.round(Math.max(interval, Math.min(50, (burst * 1000) / rate)))));
    const perBeat = interval >= beat ? 1 : Math.max(1, Math.round(rate * (beat / 1000)));
    return {
      reservoir: burst,
      reservoirIncreaseAmount: perBeat,
      reservoirIncreaseInterval: interval >= beat ? Math.round(interval) : beat,
      reservoirIncreaseMaximum: Math.max(burst, perBeat),
      heartbeatInterval: beat,
      maxConcurrent: limit.maxConcurrent ?? null,
    };
  }

  private get(op: string): Bottleneck {
    const limiter = this.limiters.get(op);
    if (!limiter) throw new Error(`no rate limit is defined for operation "${op}"`);
    return limiter;
  }

  /** Runs `fn` when the operation's bucket allows; at shutdown, a call still waiting is never sent. */
  schedule<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return this.run(this.get(op), op, fn); // an unknown operation throws at once: a programming error
  }

  private async run<T>(limiter: Bottleneck, op: string, fn: () => Promise<T>): Promise<T> {
    const { signal } = this.scope;
    const day = this.days.get(op);
    const slots = this.slots.get(op);
    if (signal?.aborted) throw new ShutdownError(`${op} not sent`);
    const call = this.scope.metrics?.limitedCall(this.platform, op);
    const run = () => {
      if (signal?.aborted) throw new ShutdownError(`${op} not sent`);
      return call ? call.send(fn) : fn();
    };
    // The day's quota first, then an in-flight slot, then the operation's own token: a call waiting
    // hours for tomorrow's quota never holds a slot meanwhile.
    const inOwnBucket = () => (slots ? slots.schedule(() => limiter.schedule(run)) : limiter.schedule(run));
    try {
      return await (day ? day.schedule(inOwnBucket) : inOwnBucket());
    } catch (err) {
      // A call dropped from the queue by stop() at shutdown.
      if (signal?.aborted && err instanceof Bottleneck.BottleneckError) throw new ShutdownError(`${op} not sent`);
      throw err;
    } finally {
      call?.leave();
    }
  }

  /** A token refresh of this account, counted by outcome; the same promise back. */
  countRefresh<T>(refresh: Promise<T>): Promise<T> {
    return this.scope.metrics ? this.scope.metrics.tokenRefresh(this.platform, refresh) : refresh;
  }

  /** The API told us its live rate (x-amzn-RateLimit-Limit, x-limit-per-second): follow it. */
  adjustRate(op: string, liveRatePerSecond: number): void {
    const limit = this.limits[op];
    // Limits are kept unscaled; the live figure already includes any sandbox scale.
    const ratePerSecond = liveRatePerSecond / rateScale;
    if (!limit || !(ratePerSecond > 0) || Math.abs(ratePerSecond - limit.ratePerSecond) < 1e-9) return;
    this.limits[op] = { ...limit, ratePerSecond };
    const s = this.settings(this.limits[op]!);
    const limiter = this.get(op);
    // updateSettings returns a promise at run time (its typings say otherwise).
    const updated = limiter.updateSettings({
      reservoirIncreaseInterval: s.reservoirIncreaseInterval,
      reservoirIncreaseAmount: s.reservoirIncreaseAmount,
      reservoirIncreaseMaximum: s.reservoirIncreaseMaximum,
    }) as unknown as Promise<unknown>;
    void updated.then(() => restartHeartbeat(limiter));
  }

  /** After a 429: empty the bucket so nothing else goes out before the tokens come back. */
  async drain(op: string): Promise<void> {
    const limiter = this.get(op);
    // Not updateSettings: in Bottleneck 2.19.5 it stops the refill heartbeat for good.
    const left = (await limiter.currentReservoir()) ?? 0;
    if (left > 0) await limiter.incrementReservoir(-left);
  }

  private stopping?: Promise<void>;

  async stop(): Promise<void> {
    // A Redis limiter also leaves the shared connection (its heartbeat stops with it).
    const shared = !!this.scope.shared;
    this.stopping ??= Promise.all(
      this.all.map(async (l) => {
        await l.stop({ dropWaitingJobs: true }).catch(() => undefined);
        if (shared) await Promise.resolve(l.disconnect(false)).catch(() => undefined);
      }),
    ).then(() => undefined);
    await this.stopping;
  }
}

/** Bottleneck 2.19.5: updateSettings() clears the running refill heartbeat without restarting it. */
function restartHeartbeat(limiter: Bottleneck) {
  const store = (limiter as unknown as { _store?: { heartbeat?: NodeJS.Timeout | null; _startHeartbeat?: () => void } })._store;
  if (!store?._startHeartbeat) return;
  if (store.heartbeat) clearInterval(store.heartbeat);
  store.heartbeat = null;
  store._startHeartbeat();
}
