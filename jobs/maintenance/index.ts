import { recordEvent } from '../../db/events.ts';
import { purgePersonalData } from '../../db/personal-data.ts';
import type { WorkerFeature } from '../../src/worker.ts';

const DAY_MS = 86_400_000;

/**
 * Once a day, with PII_RETENTION_DAYS set, the personal data of orders shipped or cancelled longer
 * ago is purged (db/personal-data.ts). Without it the schedule is removed.
 */
export const maintenanceFeature: WorkerFeature = {
  name: 'maintenance',
  periodic: (s) => [
    {
      name: 'purge-personal-data',
      everyMs: s.config.piiRetentionDays ? DAY_MS : undefined,
      run: async () => {
        const days = s.config.piiRetentionDays;
        if (!days) return { skipped: 'PII_RETENTION_DAYS is not set' };
        const result = purgePersonalData(s.db, days);
        if (result.orders) recordEvent(s.db, { type: 'maintenance.pii_purged', message: `personal data of ${result.orders} order(s) purged (older than ${days} days)` });
        return result;
      },
    },
  ],
};
