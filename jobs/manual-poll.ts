import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MarketplaceAdapter } from '../adapters/types.ts';
import { accountId as makeAccountId, ensureAccount, getCursor, setCursor } from '../db/accounts.ts';
import type { Db } from '../db/connection.ts';
import { errorMessage, ShutdownError } from '../src/errors.ts';
import { pollLeaseKey, withLease } from './lease.ts';
import { pollAccount, type OrderIntake, type PollSummary } from './poll.ts';

/** What a poll by hand (`ordersync sync`, `backfill`) runs with: the worker's pieces, opened by the CLI. */
export interface ManualPollDeps {
  db: Db;
  redis: Redis;
  prefix: string;
  intake?: OrderIntake;
  log: Logger;
  onAccountHealthy?: (accountId: string) => Promise<void>;
  /** Ctrl-C: a wait for the worker's lease ends at once (as the limiter's waits do). */
  signal?: AbortSignal;
}

const LEASE_MS = 60_000;
const LEASE_RETRY_MS = 500;

/**
 * Runs `fn` under the account stream's poll lease, waiting (up to `waitMs`) while the worker holds
 * it: a poll by hand never runs beside the worker's poll of the same account.
 */
async function underLease<T>(deps: ManualPollDeps, accountId: string, stream: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  const end = Date.now() + waitMs;
  for (;;) {
    if (deps.signal?.aborted) throw new ShutdownError(`the poll of ${accountId} was not started`);
    const run = await withLease(deps.redis, pollLeaseKey(deps.prefix, accountId, stream), LEASE_MS, fn);
    if (run.held) return run.value;
    if (Date.now() > end) throw new Error(`another poll of ${accountId} (${stream}) has been running for over ${Math.round(waitMs / 1000)} s; try again later`);
    await sleep(LEASE_RETRY_MS, undefined, { signal: deps.signal }).catch(() => undefined);
  }
}

export type SyncResult = { accountId: string; summary: PollSummary } | { accountId: string; error: string };

/** One regular poll of each account, all at once; one account failing leaves the others' results. */
export async function syncOnce(deps: ManualPollDeps, adapters: MarketplaceAdapter[], waitMs = 10 * 60_000): Promise<SyncResult[]> {
  return Promise.all(
    adapters.map(async (adapter): Promise<SyncResult> => {
      const accountId = makeAccountId(adapter.platform, adapter.accountId);
      try {
        const summary = await underLease(deps, accountId, 'orders', waitMs, () =>
          pollAccount({ db: deps.db, adapter, intake: deps.intake, onAccountHealthy: deps.onAccountHealthy, log: deps.log }, 'orders'),
        );
        return { accountId, summary };
      } catch (err) {
        return { accountId, error: errorMessage(err) };
      }
    }),
  );
}

/** The stream a backfill reads under, apart from the regular poll's cursor (which it never moves). */
export const BACKFILL_STREAM = 'backfill';
/** Where the last backfill started: a new one from the same date or later resumes where that one stopped. */
const BACKFILL_SINCE = 'backfill-since';

export interface BackfillProgress {
  accountId: string;
  /** Windows done of all, and the range reached. */
  done: number;
  windows: number;
  reached: string;
  until: string;
  fetched: number;
  inserted: number;
  updated: number;
  elapsedMs: number;
  /** Milliseconds left: from the pace so far, never less than the platform's published rate allows. */
  etaMs?: number;
  resumedFrom?: string;
}

/**
 * Imports `[since, now]` window by window (a week for Amazon, whose searchOrders allows one call per
 * 178 s after a burst of 20; a day elsewhere). Each window is a closed range read under the same
 * limiters as the worker; its end is committed as the backfill's position, so an interrupted backfill
 * started again resumes at the window it was in. Orders are upserted as the poll does: a copy that is
 * not newer changes nothing, and the regular poll's cursor is never touched.
 */
export async function backfillAccount(
  deps: ManualPollDeps,
  adapter: MarketplaceAdapter,
  since: Date,
  onProgress: (p: BackfillProgress) => void,
  now = () => Date.now(),
): Promise<BackfillProgress> {
  const accountId = ensureAccount(deps.db, adapter.platform, adapter.accountId);
  const windowMs = (adapter.platform === 'amazon' ? 7 : 1) * 86_400_000;
  return underLease(deps, accountId, BACKFILL_STREAM, 0, async () => {
    const until = now();
    const previousSince = getCursor(deps.db, accountId, BACKFILL_SINCE);
    const position = getCursor(deps.db, accountId, BACKFILL_STREAM);
    const resume = previousSince && position && Date.parse(previousSince) <= since.getTime() && Date.parse(position) > since.getTime();
    let start = resume ? Date.parse(position) : since.getTime();
    if (!resume) {
      setCursor(deps.db, accountId, BACKFILL_SINCE, since.toISOString());
      setCursor(deps.db, accountId, BACKFILL_STREAM, since.toISOString());
    }
    const windows = Math.max(1, Math.ceil((until - start) / windowMs));
    const slowest = Math.min(...Object.values(adapter.limits).filter((l) => !l.notApiCall).map((l) => l.ratePerSecond));
    const burst = Object.values(adapter.limits).find((l) => l.ratePerSecond === slowest)?.burst ?? 1;
    const t0 = now();
    const progress: BackfillProgress = {
      accountId,
      done: 0,
      windows,
      reached: new Date(start).toISOString(),
      until: new Date(until).toISOString(),
      fetched: 0,
      inserted: 0,
      updated: 0,
      elapsedMs: 0,
      resumedFrom: resume ? new Date(start).toISOString() : undefined,
    };
    const eta = () => {
      const left = windows - progress.done;
      // At least one list call per window; past the burst, one per 1/rate seconds.
      const floor = (Math.max(0, left - burst) / slowest) * 1000;
      const pace = progress.done > 0 ? (progress.elapsedMs / progress.done) * left : undefined;
      return left === 0 ? 0 : pace === undefined ? (floor > 0 ? floor : undefined) : Math.max(pace, floor);
    };
    progress.etaMs = eta();
    onProgress({ ...progress });
    while (start < until) {
      const end = Math.min(start + windowMs, until);
      const before = { fetched: progress.fetched, inserted: progress.inserted, updated: progress.updated };
      const summary = await pollAccount(
        { db: deps.db, adapter, intake: deps.intake, onAccountHealthy: deps.onAccountHealthy, log: deps.log },
        BACKFILL_STREAM,
        {
          until: new Date(end).toISOString(),
          recordPoll: false,
          onPage: (s) => {
            Object.assign(progress, { fetched: before.fetched + s.fetched, inserted: before.inserted + s.inserted, updated: before.updated + s.updated, elapsedMs: now() - t0 });
            onProgress({ ...progress });
          },
        },
      );
      Object.assign(progress, { fetched: before.fetched + summary.fetched, inserted: before.inserted + summary.inserted, updated: before.updated + summary.updated });
      setCursor(deps.db, accountId, BACKFILL_STREAM, new Date(end).toISOString());
      start = end;
      progress.done += 1;
      progress.reached = new Date(end).toISOString();
      progress.elapsedMs = now() - t0;
      progress.etaMs = eta();
      onProgress({ ...progress });
    }
    return progress;
  });
}
