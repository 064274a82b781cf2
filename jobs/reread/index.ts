import { Worker } from 'bullmq';
import { CUSTOMIZATION_PENDING } from '../../adapters/types.ts';
import type { Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { hasFlag } from '../../db/flags.ts';
import { orders } from '../../db/schema.ts';
import { errorMessage } from '../../src/errors.ts';
import type { WorkerFeature } from '../../src/worker.ts';
import { jobIds, type Queues } from '../queues.ts';
import { rereadOrder } from './reread-order.ts';

interface Incomplete {
  accountId: string;
  externalId: string;
  remoteUpdatedAt: string;
}

/** Orders stored incomplete (flag CUSTOMIZATION_PENDING), for crash recovery at start. */
function incompleteOrders(db: Db): Incomplete[] {
  return db
    .select({ accountId: orders.accountId, externalId: orders.externalId, remoteUpdatedAt: orders.remoteUpdatedAt })
    .from(orders)
    .where(hasFlag(orders.flags, CUSTOMIZATION_PENDING))
    .all();
}

interface RetryPlan {
  firstDelayMs: number;
  /** Overrides of the queue's defaults (tests). */
  backoffMs?: number;
  attempts?: number;
}

async function enqueue(queues: Queues, list: Incomplete[], plan: RetryPlan) {
  if (list.length === 0) return;
  await queues.reread.addBulk(
    list.map((o) => ({
      name: `reread ${o.accountId} ${o.externalId}`,
      data: { accountId: o.accountId, orderExternalId: o.externalId },
      opts: {
        jobId: jobIds.reread(o.accountId, o.externalId, o.remoteUpdatedAt),
        delay: plan.firstDelayMs,
        ...(plan.backoffMs !== undefined ? { backoff: { type: 'exponential', delay: plan.backoffMs } } : {}),
        ...(plan.attempts !== undefined ? { attempts: plan.attempts } : {}),
      },
    })),
  );
}

/**
 * Re-reads orders the poll stored incomplete: an Amazon Custom file that could not be downloaded
 * leaves the order stored and visible, its personalized lines held out of production; this job
 * reads the order again with backoff until the file is read, and the held work is released.
 */
export function createRereadFeature(opts: Partial<RetryPlan> = {}): WorkerFeature {
  // The first try waits a little: a download host that just failed rarely recovers within a second.
  const plan: RetryPlan = { ...opts, firstDelayMs: opts.firstDelayMs ?? 30_000 };
  return {
    name: 'reread',
    intake: (s) => {
      let found: Incomplete[] = [];
      return {
        stage(_db, changes) {
          for (const { order } of changes) {
            if (order.flags?.includes(CUSTOMIZATION_PENDING)) found.push({ accountId: order.accountId, externalId: order.externalId, remoteUpdatedAt: order.updatedAt });
          }
        },
        async flush() {
          const list = found;
          found = [];
          await enqueue(s.queues, list, plan);
        },
      };
    },
    workers: (s) => {
      const log = s.log.child({ component: 'reread' });
      const worker = new Worker<{ accountId: string; orderExternalId: string }>(
        'reread',
        (job) => rereadOrder({ db: s.db, adapters: s.adapters, intake: s.intake, log }, job.data.accountId, job.data.orderExternalId),
        { connection: s.redis, prefix: s.prefix, concurrency: 2, autorun: false },
      );
      worker.on('failed', (job, err) => {
        if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
        // Out of attempts: the order stays visible with its line held; a person has to look.
        const message = `order ${job.data.orderExternalId}: gave up re-reading after ${job.attemptsMade} attempts (${errorMessage(err)}); its personalized lines stay held. Check the order in Seller Central, then retry the job in Bull Board (queue reread)`;
        recordEvent(s.db, { type: 'order.incomplete', accountId: job.data.accountId, message });
        log.error({ accountId: job.data.accountId, order: job.data.orderExternalId }, `ALERT: ${message}`);
      });
      return [worker];
    },
    // Crash recovery: an incomplete order whose job never reached Redis gets one (ids are per version).
    start: async (s) => enqueue(s.queues, incompleteOrders(s.db), plan),
  };
}

export const rereadFeature = createRereadFeature();
