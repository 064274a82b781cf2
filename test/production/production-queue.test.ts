import { afterAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../db/events.ts';
import { productionItems } from '../../db/schema.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { markFailed, markPacked, markPrinted, productionView, reprint, takeNext } from '../../jobs/production/lifecycle.ts';
import { requeueQueuedRows, STOP_PRINTING } from '../../jobs/production/intake.ts';
import { loadProductionRules } from '../../config/production.ts';
import { FakeAdapter, type FakeRawOrder } from '../support/fake-adapter.ts';
import { redisPrefix, silentLog } from '../support/env.ts';
import { startTestWorker } from '../foundation/support-worker.ts';

const redis = redisPrefix();
afterAll(() => redis.cleanup());
const rules = loadProductionRules();

const TEXT = 'Zoë & Léo 🎉\nEst. 2024 — «merci»';
const order = (id: string, minute: number, extra: Partial<FakeRawOrder> = {}): FakeRawOrder => ({
  id,
  modified: new Date(Date.UTC(2026, 10, 20, 10, minute)).toISOString(),
  shipBy: new Date(Date.UTC(2026, 10, 22 + minute % 3, 12)).toISOString(),
  lines: [
    { id: `${id}-1`, sku: '3DP-NAMESIGN', qty: 1, text: TEXT, variations: { Size: 'Large' } },
    { id: `${id}-2`, sku: 'STICKER-PACK', qty: 2 },
    { id: `${id}-3`, sku: '3DP-MINI-DRAGON', qty: 1 },
  ],
  ...extra,
});

async function setup(name: string, orders: FakeRawOrder[]) {
  const adapter = new FakeAdapter(`shop-${name}`);
  adapter.orders = orders;
  const t = await startTestWorker({ prefix: `${redis.prefix}-${name}`, adapters: [], features: [productionFeature] });
  const intake = productionFeature.intake!({ ...t.worker, adapters: [adapter] });
  const poll = () => pollAccount({ db: t.worker.db, adapter, intake, log: silentLog() });
  const deps = { db: t.worker.db, queues: t.worker.queues, connection: t.worker.redis, prefix: t.worker.prefix };
  return { t, adapter, poll, deps, q: t.worker.queues.production };
}

describe('production queue (real Redis)', () => {
  it('makes one job per print line, never twice on a re-poll, none for unpaid orders', async () => {
    const { t, adapter, poll, q } = await setup('repoll', [order('A', 1), order('P', 2, { paid: false, status: 'pending' })]);
    try {
      await poll();
      expect(await q.getJobCounts('prioritized', 'waiting')).toEqual({ prioritized: 2, waiting: 0 });
      const rows = t.worker.db.select().from(productionItems).all();
      expect(rows.map((r) => `${r.kind}:${r.state}`).sort()).toEqual(['pack:ready_to_pack', 'print:queued', 'print:queued']);

      t.worker.db.$client.prepare('delete from sync_cursors').run();
      await poll(); // same orders again
      adapter.orders[0] = { ...order('A', 9) }; // A changed on the marketplace
      await poll();
      expect((await q.getJobs(['prioritized', 'waiting'])).length).toBe(2);

      // The pending order is paid now: its work appears.
      adapter.orders[1] = order('P', 12);
      await poll();
      const jobs = await q.getJobs(['prioritized', 'waiting']);
      expect(jobs.map((j) => j.name).sort()).toEqual([
        'etsy A 3DP-MINI-DRAGON',
        'etsy A 3DP-NAMESIGN',
        'etsy P 3DP-MINI-DRAGON',
        'etsy P 3DP-NAMESIGN',
      ]);
      const sign = jobs.find((j) => j.name === 'etsy A 3DP-NAMESIGN')!;
      expect(sign.data.personalization).toBe(TEXT);
      expect(sign.data.profile).toMatchObject({ partFile: 'namesign-large.3mf' });
      expect(sign.data.reason).toBe('sku matches ^3DP-');
    } finally {
      await t.dispose();
    }
  });

  it('moves a job through Bull Board states: waiting -> active -> completed, failed -> waiting', async () => {
    const { t, poll, deps, q } = await setup('lifecycle', [order('L', 1)]);
    try {
      await poll();
      const taken = await takeNext(deps, { group: 'resin', by: 'printer-2' });
      expect(taken?.name).toBe('etsy L 3DP-MINI-DRAGON');
      expect(await (await q.getJob(taken!.jobId))!.getState()).toBe('active');
      // The fdm job was skipped over and put back, still waiting.
      expect(await q.getJobCounts('prioritized', 'waiting', 'active')).toMatchObject({ active: 1 });
      expect((await q.getJobs(['prioritized', 'waiting'])).map((j) => j.name)).toEqual(['etsy L 3DP-NAMESIGN']);

      await markPrinted(deps, taken!.productionItemId);
      expect(await (await q.getJob(taken!.jobId))!.getState()).toBe('completed');
      markPacked(t.worker.db, taken!.productionItemId);

      const next = await takeNext(deps, {});
      await markFailed(deps, next!.productionItemId, 'spaghetti on layer 40');
      const failed = (await q.getJob(next!.jobId))!;
      expect(await failed.getState()).toBe('failed');
      expect(failed.failedReason).toBe('spaghetti on layer 40');
      await reprint(deps, next!.productionItemId);
      expect(['waiting', 'prioritized']).toContain(await (await q.getJob(next!.jobId))!.getState());
      await expect(markPrinted(deps, next!.productionItemId)).rejects.toThrow(/is queued, not printing/);
    } finally {
      await t.dispose();
    }
  });

  it('at start, a queued line whose job Redis lost (its last second before a crash) gets it back, once', async () => {
    const { t, poll, q } = await setup('reconcile', [order('R', 1)]);
    try {
      await poll();
      const jobs = await q.getJobs(['prioritized', 'waiting']);
      expect(jobs).toHaveLength(2);
      await jobs[0]!.remove(); // as if Redis lost it
      expect(await requeueQueuedRows(t.worker.db, t.worker.queues)).toBe(2);
      const after = await q.getJobs(['prioritized', 'waiting']);
      expect(after.map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    } finally {
      await t.dispose();
    }
  });

  it('a backlog of more print lines than one enqueue batch gets every job, once, and they come back after a loss', async () => {
    // 301 orders with two print lines each: 602 rows, more than one batch of 500.
    const many = Array.from({ length: 301 }, (_, i) => order(`B${i}`, i % 60));
    const { t, adapter, q } = await setup('batches', many);
    try {
      const intake = productionFeature.intake!({ ...t.worker, adapters: [adapter] });
      // Stage every row in one go (as a first sync leaves them behind Redis), then one flush.
      await pollAccount({ db: t.worker.db, adapter, intake: { stage: intake.stage, flush: async () => undefined }, log: silentLog() });
      const unenqueued = t.worker.db.$client.prepare("SELECT count(*) AS n FROM production_items WHERE kind = 'print' AND enqueued_at IS NULL").get() as { n: number };
      expect(unenqueued.n).toBe(602);
      await intake.flush();
      expect(await q.count()).toBe(602);
      const left = t.worker.db.$client.prepare("SELECT count(*) AS n FROM production_items WHERE kind = 'print' AND enqueued_at IS NULL").get() as { n: number };
      expect(left.n).toBe(0);
      await q.obliterate({ force: true }); // Redis lost them all
      expect(await requeueQueuedRows(t.worker.db, t.worker.queues)).toBe(602);
      expect(await q.count()).toBe(602);
    } finally {
      await t.dispose();
    }
  });

  it('on cancellation removes waiting jobs and flags the one being printed', async () => {
    const { t, adapter, poll, deps, q } = await setup('cancel', [order('C', 1)]);
    try {
      await poll();
      const printing = await takeNext(deps, { group: 'fdm' });
      adapter.orders = [order('C', 30, { status: 'cancelled' })];
      await poll();
      const remaining = await q.getJobs(['prioritized', 'waiting']);
      expect(remaining).toHaveLength(0);
      const active = (await q.getJob(printing!.jobId))!;
      expect(await active.getState()).toBe('active');
      expect(active.data.flags).toContain(STOP_PRINTING);
      expect(listEvents(t.worker.db, { type: 'production.cancelled' })).toHaveLength(1);
      const view = productionView(t.worker.db, rules);
      expect(view.find((r) => r.id === printing!.productionItemId)).toBeUndefined(); // cancelled work leaves the view
    } finally {
      await t.dispose();
    }
  });

  it('serves the view at GET /api/production and takes jobs over HTTP', async () => {
    const { t, poll } = await setup('api', [order('H', 1)]);
    try {
      await poll();
      const view = (await (await fetch(`${t.worker.httpUrl}/api/production`)).json()) as { sku: string; schedule?: { atRisk: boolean } }[];
      expect(view.map((v) => v.sku).sort()).toEqual(['3DP-MINI-DRAGON', '3DP-NAMESIGN', 'STICKER-PACK']);
      expect(view.filter((v) => v.schedule).length).toBe(2);
      const take = await fetch(`${t.worker.httpUrl}/api/production/take`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"group":"fdm"}' });
      const job = (await take.json()) as { productionItemId: number };
      const printed = await fetch(`${t.worker.httpUrl}/api/production/${job.productionItemId}/printed`, { method: 'POST' });
      expect(printed.status).toBe(200);
      const again = await fetch(`${t.worker.httpUrl}/api/production/${job.productionItemId}/printed`, { method: 'POST' });
      expect(again.status).toBe(400);
      expect(((await again.json()) as { error: string }).error).toMatch(/is printed, not printing/);
    } finally {
      await t.dispose();
    }
  });
});
