import { Worker } from 'bullmq';
import { recordEvent } from '../../db/events.ts';
import { purgePersonalData } from '../../db/personal-data.ts';
import type { WorkerFeature } from '../../src/worker.ts';

const PURGE_SCHEDULER = 'purge-personal-data';
const DAY_MS = 86_400_000;

/**
 * Housekeeping on a schedule: once a day, with PII_RETENTION_DAYS set, the personal data of orders
 * shipped or cancelled longer ago is purged (db/personal-data.ts). Without it the schedule is removed.
 */
export const maintenanceFeature: WorkerFeature = {
  name: 'maintenance',
  workers: (s) => [
    new Worker(
      'maintenance',
      async () => {
        const days = s.config.piiRetentionDays;
        if (!days) return { skipped: 'PII_RETENTION_DAYS is not set' };
        const result = purgePersonalData(s.db, days);
        if (result.orders) recordEvent(s.db, { type: 'maintenance.pii_purged', message: `personal data of ${result.orders} order(s) purged (older than ${days} days)` });
        return result;
      },
      { connection: s.redis, prefix: s.prefix, concurrency: 1, autorun: false },
    ),
  ],
  start: async (s) => {
    if (s.config.piiRetentionDays) {
      await s.queues.maintenance.upsertJobScheduler(PURGE_SCHEDULER, { every: DAY_MS }, { name: 'purge personal data', data: { task: 'purge-personal-data' } });
    } else {
      await s.queues.maintenance.removeJobScheduler(PURGE_SCHEDULER);
    }
  },
};
