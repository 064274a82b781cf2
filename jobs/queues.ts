import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Platform } from '../adapters/types.ts';
import type { AlertDelivery } from './alerts/alert.ts';

/**
 * The one registry of queues and their job data: `addJob` and the processors are typed from it,
 * so a producer and its worker cannot disagree on a payload.
 */
export interface QueueJobs {
  poll: { accountId: string; platform: Platform; stream: string };
  production: ProductionJobData;
  fulfillment: { shipmentId: string };
  /** An order stored incomplete (a customization file not read yet), read again until it is complete. */
  reread: { accountId: string; orderExternalId: string };
  /** Housekeeping on a schedule (jobs/periodic.ts): the personal-data purge, the shipment sweep. */
  maintenance: { task: string };
  /** One alert to one destination (a webhook or the e-mail recipients): a broken one never re-sends the others. */
  alerts: AlertDelivery;
}
export type QueueName = keyof QueueJobs;
export const QUEUE_NAMES: QueueName[] = ['poll', 'production', 'fulfillment', 'reread', 'maintenance', 'alerts'];

export interface ProductionJobData {
  productionItemId: number;
  orderId: number;
  orderRef: string;
  platform: Platform;
  accountId: string;
  externalLineId: string;
  sku: string;
  title: string;
  quantity: number;
  personalization?: string | null;
  variations?: Record<string, string> | null;
  profile?: Record<string, unknown> | null;
  estimateMinutes?: number | null;
  shipBy?: string | null;
  printerGroup?: string | null;
  flags?: string[];
  rule?: string | null;
  reason?: string | null;
}

export type Queues = { [N in QueueName]: Queue<QueueJobs[N], unknown, string> };

export interface QueueSettings {
  connection: ConnectionOptions;
  /** Redis key prefix; tests use a unique one per file. */
  prefix: string;
}

const DEFAULT_JOB_OPTIONS: { [N in QueueName]: JobsOptions } = {
  poll: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: 200, removeOnFail: 500 },
  // Production jobs are worked by hand (manual processing); completed ones stay visible for a day.
  production: { attempts: 1, removeOnComplete: { age: 86_400 }, removeOnFail: false },
  fulfillment: { attempts: 8, backoff: { type: 'exponential', delay: 10_000, jitter: 0.5 }, removeOnComplete: 1000, removeOnFail: false },
  // 30 s, 1 min, 2 min ... about 34 hours in all: Amazon's download hosts have long outages only rarely.
  reread: { attempts: 13, backoff: { type: 'exponential', delay: 30_000, jitter: 0.5 }, removeOnComplete: 1000, removeOnFail: false },
  maintenance: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: 30, removeOnFail: 30 },
  // Retries after 1, 2, 4, 8, 16 s; failed jobs are the dead letters, kept for Bull Board until retried or removed.
  alerts: { attempts: 6, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: 1000, removeOnFail: false },
};

export function createQueues(settings: QueueSettings): Queues {
  const make = <N extends QueueName>(name: N) =>
    new Queue<QueueJobs[N], unknown, string>(name, {
      connection: settings.connection,
      prefix: settings.prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS[name],
    });
  return { poll: make('poll'), production: make('production'), fulfillment: make('fulfillment'), reread: make('reread'), maintenance: make('maintenance'), alerts: make('alerts') } as Queues;
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

/** Deterministic ids: a re-poll or a retry lands on the same job instead of making a new one. */
export const jobIds = {
  production: (accountId: string, orderExternalId: string, lineId: string) =>
    ['print', accountId.replace(/:/g, '_'), orderExternalId, lineId].join('__').replace(/:/g, '_'),
  fulfillment: (shipmentId: string) => `shipment__${shipmentId}`,
  /** One re-read per order version: a later incomplete version gets a job of its own. */
  reread: (accountId: string, orderExternalId: string, remoteUpdatedAt: string) =>
    ['reread', accountId, orderExternalId, Date.parse(remoteUpdatedAt)].join('__').replace(/:/g, '_'),
  /** One job per alert and destination: the same alert added twice stays one delivery. */
  alert: (alertId: string, destination: string) => `alert__${alertId}__${destination}`.replace(/:/g, '_'),
  pollScheduler: (accountId: string, stream: string) => `poll__${accountId.replace(/:/g, '_')}__${stream}`,
  /** At most one waiting at a time: long reads in a row add one follow-up, not one each. */
  pollAfterLongRead: (accountId: string, stream: string) => `poll-after-long-read__${accountId.replace(/:/g, '_')}__${stream}`,
};
