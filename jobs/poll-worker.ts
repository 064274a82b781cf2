import { Worker, type ConnectionOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MarketplaceAdapter } from '../adapters/types.ts';
import { accountId as makeAccountId } from '../db/accounts.ts';
import type { Db } from '../db/connection.ts';
import { ShutdownError, toJobError } from '../src/errors.ts';
import type { Metrics, PollOutcome } from '../src/metrics.ts';
import { pollLeaseKey, withLease } from './lease.ts';
import { pollAccount, type OrderIntake } from './poll.ts';
import { jobIds, type QueueJobs } from './queues.ts';

export interface PollWorkerDeps {
  db: Db;
  adapters: MarketplaceAdapter[];
  intake?: OrderIntake;
  onAccountHealthy?: (accountId: string) => Promise<void>;
  log: Logger;
  connection: ConnectionOptions;
  /** Holds the per-account poll leases (shared with every worker process on this Redis). */
  locks: Redis;
  prefix: string;
  metrics?: Metrics;
  /** The poll queue, for the follow-up polls some streams ask for after a long read. */
  queue?: Queue<QueueJobs['poll']>;
}

/** A poll lease outlives a dead holder this long; a live one renews it every third of it. */
const POLL_LEASE_MS = 60_000;

/**
 * Runs poll jobs. Accounts poll concurrently (one platform failing never holds up the others),
 * but one account never runs two polls at once, in this process or in another worker on the same
 * Redis: they would race for the same cursor and spend the rate limit twice.
 */
export function createPollWorker(deps: PollWorkerDeps) {
  const byAccount = new Map(deps.adapters.map((a) => [makeAccountId(a.platform, a.accountId), a]));
  return new Worker<QueueJobs['poll']>(
    'poll',
    async (job) => {
      const { accountId, stream } = job.data;
      const adapter = byAccount.get(accountId);
      if (!adapter) return { skipped: `account ${accountId} is not configured any more` };
      const lock = pollLeaseKey(deps.prefix, accountId, stream);
      const t0 = performance.now();
      const finished = (outcome: PollOutcome) => deps.metrics?.pollFinished(adapter.platform, accountId, stream, outcome, (performance.now() - t0) / 1000);
      try {
        const poll = await withLease(deps.locks, lock, POLL_LEASE_MS, () =>
          pollAccount({ db: deps.db, adapter, intake: deps.intake, onAccountHealthy: deps.onAccountHealthy, metrics: deps.metrics, log: deps.log }, stream),
        );
        finished(poll.held ? 'ok' : 'skipped');
        if (!poll.held) return { skipped: 'a poll of this account is already running' };
        if (stream === 'orders' && poll.value.pages > 1) await followLongRead(deps, adapter, accountId);
        return poll.value;
      } catch (err) {
        // Cancelled at shutdown while waiting for a token or a retry: the next poll resumes from the cursor.
        if (err instanceof ShutdownError) {
          finished('cancelled');
          deps.log.info({ accountId, stream }, 'poll cancelled by the shutdown while it waited; the next poll resumes from the cursor');
          return { cancelled: err.message };
        }
        finished('failed');
        throw toJobError(err);
      }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: Math.max(2, deps.adapters.length * 2), autorun: false },
  );
}

/** Streams that check what a read of several pages may have skipped are polled once more, now. */
async function followLongRead(deps: PollWorkerDeps, adapter: MarketplaceAdapter, accountId: string): Promise<void> {
  for (const extra of adapter.extraStreams ?? []) {
    if (!extra.afterLongRead || !deps.queue) continue;
    await deps.queue.add(
      `poll ${accountId} ${extra.name} (after a long read)`,
      { accountId, platform: adapter.platform, stream: extra.name },
      { jobId: jobIds.pollAfterLongRead(accountId, extra.name), removeOnComplete: true, removeOnFail: true },
    );
  }
}
