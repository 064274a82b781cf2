import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { orderSealerCounts } from '../db/order-sealer.ts';
import { AuthError, RateLimitedError } from './errors.ts';

/**
 * What the gauges read at scrape time (src/metrics-sources.ts builds it from SQLite and BullMQ).
 * Kept as plain functions so this module imports nothing but prom-client and the error classes:
 * the limiter, the poll and the push record into it from below without importing the worker.
 */
export interface ScrapeSources {
  /** The configured accounts as SQLite has them. */
  accounts(): { id: string; platform: string; healthy: boolean; lastPolledAt: string | null }[];
  /** The production queue's BullMQ job counts by state. */
  productionJobs(): Promise<Record<string, number>>;
  /** Open print jobs whose estimated finish misses their ship-by (jobs/production/schedule.ts). */
  productionAtRisk(): number;
}

export type PollOutcome = 'ok' | 'failed' | 'cancelled' | 'skipped';
export type PushOutcome = 'pushed' | 'already_present' | 'failed' | 'manual' | 'retry' | 'waiting_for_account';

/** One call through a rate limiter: it waits in the queue for a token, then goes out (or never does). */
export interface LimitedCall {
  /** The token came: sends `fn` and records what it ended as. */
  send<T>(fn: () => Promise<T>): Promise<T>;
  /** Left the queue; a no-op after `send` (a call dropped at shutdown leaves without being sent). */
  leave(): void;
}

/** Limiter waits: from instant (a full bucket) to Amazon's searchOrders, one token per 178 s. */
const WAIT_BUCKETS = [0.005, 0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 180, 600];
const POLL_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600, 1800];

/**
 * The worker's Prometheus metrics, on a registry of its own (two workers in one test process must
 * not share series; the global default registry would also make a second start throw).
 */
export function createMetrics() {
  const registry = new Registry();
  // Default process metrics keep their standard names (process_*, nodejs_*) for the usual dashboards.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let sources: ScrapeSources | undefined;

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram({ name, help, labelNames, buckets, registers });

  const polls = counter('osw_polls_total', 'Poll jobs by outcome (ok, failed, cancelled by the shutdown, skipped: another poll held the account)', ['platform', 'account', 'stream', 'outcome']);
  const pollDuration = histogram('osw_poll_duration_seconds', 'How long a poll of one account and stream took (ok and failed ones)', ['platform', 'stream'], POLL_BUCKETS);
  const requests = counter('osw_marketplace_requests_total', 'Marketplace API calls by rate-limit operation and status: 2xx, the HTTP status of a failure, or its error class when it has none', ['platform', 'operation', 'status']);
  const rateLimited = counter('osw_marketplace_rate_limited_total', 'Marketplace API calls answered 429', ['platform', 'operation']);
  const limiterQueue = new Gauge({ name: 'osw_rate_limiter_queue_length', help: 'Calls in this process waiting for a rate-limit token', labelNames: ['platform', 'operation'] as const, registers });
  const limiterWait = histogram('osw_rate_limiter_wait_seconds', 'How long a call waited for its rate-limit token', ['platform', 'operation'], WAIT_BUCKETS);
  const ingested = counter('osw_orders_ingested_total', 'Orders a poll stored: new (inserted) or changed (updated)', ['platform', 'change']);
  const quarantined = counter('osw_orders_quarantined_total', 'Orders a poll could not normalize and quarantined', ['platform']);
  const pushes = counter('osw_shipment_pushes_total', 'Shipment push attempts by outcome', ['platform', 'outcome']);
  const refreshes = counter('osw_token_refreshes_total', 'Access token refreshes by outcome (ok; refused: the credentials were; failed: anything else)', ['platform', 'outcome']);

  new Gauge({
    name: 'osw_production_jobs',
    help: 'Production queue jobs by BullMQ state',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      // Redis unreachable: this series is left empty; every other one still answers the scrape.
      const counts = (await sources?.productionJobs().catch(() => undefined)) ?? {};
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'osw_production_jobs_at_risk',
    help: 'Open print jobs whose estimated finish plus the packing buffer passes their ship-by',
    registers,
    collect() {
      if (sources) this.set(sources.productionAtRisk());
    },
  });
  new Gauge({
    name: 'osw_account_healthy',
    help: '1 while the account works, 0 once its credentials were refused',
    labelNames: ['platform', 'account'] as const,
    registers,
    collect() {
      this.reset();
      for (const a of sources?.accounts() ?? []) this.set({ platform: a.platform, account: a.id }, a.healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: 'osw_account_last_successful_poll_age_seconds',
    help: 'Seconds since the account last polled successfully (absent until its first success)',
    labelNames: ['platform', 'account'] as const,
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const a of sources?.accounts() ?? []) {
        if (a.lastPolledAt) this.set({ platform: a.platform, account: a.id }, Math.max(0, (now - Date.parse(a.lastPolledAt)) / 1000));
      }
    },
  });

  new Counter({
    name: 'osw_orders_sealed_total',
    help: "Orders of big pages sealed (personal data, packed payload) on the sealer thread, or on the poll's own thread after the sealer thread failed",
    labelNames: ['on'] as const,
    registers,
    collect() {
      const counts = orderSealerCounts();
      this.reset();
      this.inc({ on: 'sealer_thread' }, counts.onThread);
      this.inc({ on: 'poll_thread' }, counts.here);
    },
  });

  return {
    registry,
    /** Where the scrape-time gauges read from; set once the database and queues are open. */
    readFrom(s: ScrapeSources) {
      sources = s;
    },

    pollFinished(platform: string, account: string, stream: string, outcome: PollOutcome, seconds: number) {
      polls.inc({ platform, account, stream, outcome });
      if (outcome === 'ok' || outcome === 'failed') pollDuration.observe({ platform, stream }, seconds);
    },

    /** One committed page's orders. */
    pageCommitted(platform: string, changes: { result: { change: 'inserted' | 'updated' | 'unchanged' } }[], rejected: number) {
      for (const { result } of changes) if (result.change !== 'unchanged') ingested.inc({ platform, change: result.change });
      if (rejected > 0) quarantined.inc({ platform }, rejected);
    },

    shipmentPush(platform: string, outcome: PushOutcome) {
      pushes.inc({ platform, outcome });
    },

    /** Counts a token refresh when it settles; hands the same promise back. */
    tokenRefresh<T>(platform: string, refresh: Promise<T>): Promise<T> {
      refresh.then(
        () => refreshes.inc({ platform, outcome: 'ok' }),
        (err: unknown) => refreshes.inc({ platform, outcome: err instanceof AuthError ? 'refused' : 'failed' }),
      );
      return refresh;
    },

    limitedCall(platform: string, operation: string): LimitedCall {
      const labels = { platform, operation };
      const queuedAt = performance.now();
      let waiting = true;
      limiterQueue.inc(labels);
      const leave = () => {
        if (waiting) limiterQueue.dec(labels);
        waiting = false;
      };
      return {
        leave,
        async send(fn) {
          leave();
          limiterWait.observe(labels, (performance.now() - queuedAt) / 1000);
          try {
            const value = await fn();
            requests.inc({ ...labels, status: '2xx' });
            return value;
          } catch (err) {
            const status = statusOf(err);
            requests.inc({ ...labels, status });
            if (status === '429') rateLimited.inc(labels);
            throw err;
          }
        },
      };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The status label of a failed call: the HTTP status the client's error carries (axios and
 * ebay-api errors, under our taxonomy's `cause`), else the taxonomy class (TransientError...).
 * Amazon's errors carry no status, so a 429 is read off the class for every platform.
 */
function statusOf(err: unknown): string {
  if (err instanceof RateLimitedError) return '429';
  let e: unknown = err;
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++, e = (e as { cause?: unknown }).cause) {
    const o = e as { response?: { status?: unknown }; meta?: { res?: { status?: unknown } } };
    const status = o.response?.status ?? o.meta?.res?.status;
    if (typeof status === 'number') return String(status);
  }
  return err instanceof Error ? err.name : 'Error';
}
