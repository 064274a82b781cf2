import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmazonAdapter } from '../../adapters/amazon/index.ts';
import type { SearchOrdersResponse } from '../../adapters/amazon/wire.ts';
import { orders } from '../../db/schema.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { redisPrefix, silentLog } from '../support/env.ts';
import { credentials, mockToken, NOW, page1, SEARCH_PATH, SP_API } from './support.ts';

const redis = redisPrefix();
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(async () => {
  nock.enableNetConnect();
  nock.cleanAll();
  await redis.cleanup();
});

describe('Amazon PENDING orders and production (real Redis)', () => {
  it('a PENDING order gets no production job, and gets its jobs when it turns UNSHIPPED', async () => {
    const t = await startTestWorker({ prefix: `${redis.prefix}-amz`, adapters: [], features: [productionFeature] });
    try {
      const pending = page1().orders[1]!; // PENDING, one 3DP-MINI-DRAGON line
      const adapter = createAmazonAdapter({ db: t.worker.db, log: silentLog(), credentials, now: () => NOW, retry: { minTimeoutMs: 1, maxTimeoutMs: 2 } });
      const intake = productionFeature.intake!({ ...t.worker, adapters: [adapter] });
      const poll = () => pollAccount({ db: t.worker.db, adapter, intake, log: silentLog() });
      const answer = (o: typeof pending): SearchOrdersResponse => ({ orders: [o], lastUpdatedBefore: '2026-11-20T12:00:00Z' });

      mockToken();
      nock(SP_API).get(SEARCH_PATH).query(true).reply(200, answer(pending));
      await poll();
      expect(t.worker.db.select().from(orders).get()).toMatchObject({ status: 'pending', paymentStatus: 'pending' });
      expect(await t.worker.queues.production.getJobCounts('prioritized', 'waiting')).toEqual({ prioritized: 0, waiting: 0 });

      const paid = { ...pending, lastUpdatedTime: '2026-11-20T11:30:00Z', fulfillment: { ...pending.fulfillment!, fulfillmentStatus: 'UNSHIPPED' as const } };
      nock(SP_API).get(SEARCH_PATH).query(true).reply(200, answer(paid));
      expect(await poll()).toMatchObject({ updated: 1 });
      expect(t.worker.db.select().from(orders).get()).toMatchObject({ status: 'unshipped', paymentStatus: 'paid' });
      const jobs = await t.worker.queues.production.getJobs(['prioritized', 'waiting']);
      expect(jobs.map((j) => j.name)).toEqual([`amazon ${pending.orderId} 3DP-MINI-DRAGON`]);
      await adapter.close?.();
    } finally {
      await t.dispose();
    }
  });
});
