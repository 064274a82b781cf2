import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { MarketplaceAdapter } from '../adapters/types.ts';
import { accountId as makeAccountId } from '../db/accounts.ts';
import type { Db } from '../db/connection.ts';
import { toJobError } from '../src/errors.ts';
import { pollAccount, type OrderIntake } from './poll.ts';
import type { QueueJobs } from './queues.ts';

export interface PollWorkerDeps {
  db: Db;
  adapters: MarketplaceAdapter[];
  intake?: OrderIntake;
  onAccountHealthy?: (accountId: string) => Promise<void>;
  log: Logger;
  connection: ConnectionOptions;
  prefix: string;
}

/**
 * Runs poll jobs. Accounts poll concurrently (one platform failing never holds up the others),
 * but one account never runs two polls at once: they would race for the same cursor.
 */
export function createPollWorker(deps: PollWorkerDeps) {
  const byAccount = new Map(deps.adapters.map((a) => [makeAccountId(a.platform, a.accountId), a]));
  const running = new Set<string>();
  return new Worker<QueueJobs['poll']>(
    'poll',
    async (job) => {
      const { accountId, stream } = job.data;
      const adapter = byAccount.get(accountId);
      if (!adapter) return { skipped: `account ${accountId} is not configured any more` };
      const key = `${accountId}/${stream}`;
      if (running.has(key)) return { skipped: 'a poll of this account is already running' };
      running.add(key);
      try {
        return await pollAccount(
          { db: deps.db, adapter, intake: deps.intake, onAccountHealthy: deps.onAccountHealthy, log: deps.log.child({ accountId, stream }) },
          stream,
        );
      } catch (err) {
        throw toJobError(err);
      } finally {
        running.delete(key);
      }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: Math.max(2, deps.adapters.length * 2), autorun: false },
  );
}
