import { afterAll, describe, expect, it } from 'vitest';
import { createEtsyAdapter, ETSY_SANDBOX_CREDENTIALS } from '../../adapters/etsy/index.ts';
import { listEvents } from '../../db/events.ts';
import { orders, productionItems } from '../../db/schema.ts';
import { STOP_PRINTING } from '../../jobs/production/intake.ts';
import { takeNext } from '../../jobs/production/lifecycle.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { redisPrefix, silentLog } from '../support/env.ts';

const redis = redisPrefix();
afterAll(() => redis.cleanup());

describe('a live-cased "Canceled" Etsy receipt stops its print jobs (sandbox, real Redis)', () => {
  it('removes the waiting jobs and flags the one being printed', async () => {
    const sandbox = await startSandbox({ seed: 11 });
    const t = await startTestWorker({ prefix: `${redis.prefix}-etsy-cancel`, adapters: [], features: [productionFeature] });
    const adapter = createEtsyAdapter({ db: t.worker.db, log: silentLog(), credentials: ETSY_SANDBOX_CREDENTIALS, baseUrl: sandbox.url });
    try {
      // One paid, unshipped receipt with at least two print lines.
      const store = sandbox.context.store;
      const made = store.add('etsy', 30, 'unshipped');
      const target = made.find((o) => o.lines.filter((l) => l.sku?.startsWith('3DP-')).length >= 2)!;
      for (const o of made) if (o !== target) store.orders.etsy.delete(o.id);
      const intake = productionFeature.intake!({ ...t.worker, adapters: [adapter] });
      const poll = () => pollAccount({ db: t.worker.db, adapter, intake, log: silentLog() });
      await poll();

      const q = t.worker.queues.production;
      const jobsOf = async () => q.getJobs(['prioritized', 'waiting', 'active']);
      const queued = await jobsOf();
      expect(queued.length).toBeGreaterThanOrEqual(2);
      expect(queued.every((j) => j.data.orderRef === `etsy ${target.id}`)).toBe(true);
      const deps = { db: t.worker.db, queues: t.worker.queues, connection: t.worker.redis, prefix: t.worker.prefix };
      const printing = await takeNext(deps, {}); // ops start printing one line
      expect(printing).toBeDefined();

      sandbox.context.store.update('etsy', target.id, (o) => (o.state = 'cancelled'));
      const wire = await fetch(`${sandbox.url}/v3/application/shops/${ETSY_SANDBOX_CREDENTIALS.shopId}/receipts/${target.id}`, {
        headers: { 'x-api-key': `${ETSY_SANDBOX_CREDENTIALS.clientId}:${ETSY_SANDBOX_CREDENTIALS.sharedSecret}`, authorization: `Bearer ${ETSY_SANDBOX_CREDENTIALS.accessToken}` },
      });
      expect(((await wire.json()) as { status: string }).status).toBe('Canceled'); // as live Etsy sends it
      await poll();

      const stored = t.worker.db.select().from(orders).all().find((o) => o.externalId === target.id)!;
      expect(stored.status).toBe('cancelled');
      const left = await jobsOf();
      expect(left.map((j) => j.id)).toEqual([printing!.jobId]); // only the one on the printer is still there...
      expect(left[0]!.data.flags).toContain(STOP_PRINTING); // ...flagged so ops stop it
      const rows = t.worker.db.select().from(productionItems).all().filter((r) => r.jobId && queued.some((j) => j.id === r.jobId));
      expect(rows.every((r) => r.state === 'cancelled')).toBe(true);
      expect(listEvents(t.worker.db, { type: 'production.cancelled' }).length).toBeGreaterThan(0);
    } finally {
      await adapter.close!();
      await t.dispose();
      await sandbox.close();
    }
  });
});
