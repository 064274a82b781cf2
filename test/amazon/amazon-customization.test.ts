import { strToU8, zipSync } from 'fflate';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchAmazonOrders } from '../../adapters/amazon/fetch-orders.ts';
import { createAmazonAdapter } from '../../adapters/amazon/index.ts';
import type { AmazonOrder, SearchOrdersResponse } from '../../adapters/amazon/wire.ts';
import { CUSTOMIZATION_PENDING } from '../../adapters/types.ts';
import { listEvents } from '../../db/events.ts';
import { listQuarantine } from '../../db/quarantine.ts';
import { orderItems, orders, productionItems } from '../../db/schema.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { AWAITING_CUSTOMIZATION } from '../../jobs/production/store.ts';
import { createRereadFeature } from '../../jobs/reread/index.ts';
import { rereadOrder } from '../../jobs/reread/reread-order.ts';
import { TransientError } from '../../src/errors.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { redisPrefix, silentLog } from '../support/env.ts';
import { credentials, CUSTOM_URL, customizationZip, mockToken, NOW, page1, SEARCH_PATH, SP_API } from './support.ts';

const redis = redisPrefix();
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  nock.enableNetConnect();
  await redis.cleanup();
});

const ACCOUNT = `amazon:${credentials.sellerId}`;
/** The fixture's name-sign order, plus a second print line that needs no customization. */
function customOrder(): AmazonOrder {
  const o = page1().orders[0]!;
  const dragon = { ...o.orderItems[1]!, orderItemId: '41234567890125', product: { ...o.orderItems[1]!.product, sellerSku: '3DP-MINI-DRAGON', title: 'Mini dragon' } };
  return { ...o, orderItems: [...o.orderItems, dragon] };
}
const answer = (o: AmazonOrder): SearchOrdersResponse => ({ orders: [o], lastUpdatedBefore: '2026-11-20T12:00:00Z' });
// nock 15 never emits a plain-object error; an Error with a code it does.
const resetError = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const EXPIRED = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';

/** searchOrders answering the custom order (after the LWA token). */
function mockSearch() {
  mockToken();
  nock(SP_API).get(SEARCH_PATH).query(true).reply(200, answer(customOrder()));
}

async function setup(name: string) {
  const reread = createRereadFeature({ firstDelayMs: 0 });
  const t = await startTestWorker({ prefix: `${redis.prefix}-${name}`, adapters: [], features: [productionFeature, reread] });
  const adapter = createAmazonAdapter({ db: t.worker.db, log: silentLog(), credentials, now: () => NOW, retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 2 } });
  const services = { ...t.worker, adapters: [adapter] };
  const intakes = [productionFeature.intake!(services), reread.intake!(services)];
  const intake = { stage: (d: typeof t.worker.db, c: Parameters<(typeof intakes)[0]['stage']>[1]) => intakes.forEach((i) => i.stage(d, c)), flush: async () => void (await Promise.all(intakes.map((i) => i.flush()))) };
  const poll = () => pollAccount({ db: t.worker.db, adapter, intake, log: silentLog() });
  const reread1 = () => rereadOrder({ db: t.worker.db, adapters: [adapter], intake, log: silentLog() }, ACCOUNT, customOrder().orderId);
  const item = (lineId: string) => t.worker.db.select().from(orderItems).all().find((i) => i.externalLineId === lineId)!;
  const dispose = async () => {
    await adapter.close?.();
    await t.dispose();
  };
  return { t, poll, reread: reread1, item, dispose };
}

describe('Amazon Custom: a failed download never hides the order', () => {
  it.each([
    ['a network error', () => nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).times(2).replyWithError(resetError())],
    ['a 5xx', () => nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).times(2).reply(503, '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>')],
    ['an expired link', () => nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).reply(403, EXPIRED)],
  ])('%s: the order is stored at once, the line flagged, its print job held', async (_what, failDownload) => {
    const s = await setup(`fail-${_what.replace(/\W+/g, '-')}`);
    try {
      mockSearch();
      failDownload();
      expect(await s.poll()).toMatchObject({ inserted: 1, quarantined: 0 });
      expect(listQuarantine(s.t.worker.db)).toHaveLength(0);

      const order = s.t.worker.db.select().from(orders).get()!;
      expect(order).toMatchObject({ status: 'unshipped', flags: expect.arrayContaining([CUSTOMIZATION_PENDING]) });
      const sign = s.item('41234567890123');
      expect(sign.personalization).toBeNull();
      expect(sign.extra).toMatchObject({ customizationPending: expect.stringMatching(/not downloaded yet/) });

      const rows = s.t.worker.db.select().from(productionItems).all();
      const signRow = rows.find((r) => r.orderItemId === sign.id)!;
      expect(signRow).toMatchObject({ state: 'queued', enqueuedAt: null, flags: expect.arrayContaining([AWAITING_CUSTOMIZATION]) });
      // The other print line of the order does not wait for it.
      const jobs = await s.t.worker.queues.production.getJobs(['prioritized', 'waiting']);
      expect(jobs.map((j) => j.data.sku)).toEqual(['3DP-MINI-DRAGON']);
      // And a re-read is queued for the order.
      expect((await s.t.worker.queues.reread.getJobs(['waiting', 'delayed', 'active', 'failed', 'completed'])).map((j) => j.data)).toEqual([
        { accountId: ACCOUNT, orderExternalId: customOrder().orderId },
      ]);
    } finally {
      await s.dispose();
    }
  });

  it('the re-read retries while the download fails, then stores the text and releases the print job', async () => {
    const s = await setup('release');
    try {
      mockSearch();
      nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).reply(403, EXPIRED);
      await s.poll();

      // First re-read: getOrder hands back the same (still failing) link: not done, BullMQ retries later.
      nock(SP_API).get(`${SEARCH_PATH}/${customOrder().orderId}`).query(true).reply(200, { order: customOrder() });
      nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).times(2).reply(500, '<Error><Code>InternalError</Code></Error>');
      await expect(s.reread()).rejects.toBeInstanceOf(TransientError);
      expect(await s.t.worker.queues.production.getJobs(['prioritized', 'waiting'])).toHaveLength(1);

      // Second re-read: a fresh link that works.
      const fresh = new URL('https://zme-caps.amazon.com/t/fresh/link/1');
      const renewed = customOrder();
      renewed.orderItems[0]!.product.customization = { customizedUrl: fresh.href };
      nock(SP_API).get(`${SEARCH_PATH}/${renewed.orderId}`).query((q) => String(q.includedData).includes('RECIPIENT')).reply(200, { order: renewed });
      nock(fresh.origin).get(fresh.pathname).reply(200, customizationZip(), { 'content-type': 'application/zip' });
      expect(await s.reread()).toEqual({ completed: true });

      const sign = s.item('41234567890123');
      expect(sign.personalization).toBe('Zoë & Léo 🎉\nEst. 2024 — «merci»');
      expect(sign.extra?.customizationPending).toBeUndefined();
      expect(s.t.worker.db.select().from(orders).get()!.flags ?? []).not.toContain(CUSTOMIZATION_PENDING);
      const jobs = await s.t.worker.queues.production.getJobs(['prioritized', 'waiting']);
      expect(jobs.map((j) => j.data.sku).sort()).toEqual(['3DP-MINI-DRAGON', '3DP-NAMESIGN']);
      expect(jobs.find((j) => j.data.sku === '3DP-NAMESIGN')!.data.personalization).toBe('Zoë & Léo 🎉\nEst. 2024 — «merci»');
      expect(listEvents(s.t.worker.db, { type: 'production.released' })).toHaveLength(1);
    } finally {
      await s.dispose();
    }
  });

  it('a file read once is never downloaded again, for a later version of the order either', async () => {
    const s = await setup('read-once');
    try {
      mockSearch();
      const download = nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).times(2).reply(200, customizationZip(), { 'content-type': 'application/zip' });
      await s.poll();
      expect(download.pendingMocks()).toHaveLength(1); // one download
      // The order changes (a later lastUpdatedTime): the poll reads it again, the file it does not.
      const later = { ...customOrder(), lastUpdatedTime: '2026-11-20T11:59:00Z' };
      s.t.worker.db.$client.prepare('delete from sync_cursors').run();
      nock(SP_API).get(SEARCH_PATH).query(true).reply(200, answer(later));
      expect(await s.poll()).toMatchObject({ updated: 1 });
      expect(download.pendingMocks()).toHaveLength(1); // still one
      expect(s.item('41234567890123').personalization).toBe('Zoë & Léo 🎉\nEst. 2024 — «merci»');
    } finally {
      await s.dispose();
    }
  });

  it('an archive that arrives but is malformed is a payload problem: the order is quarantined', async () => {
    const s = await setup('malformed');
    try {
      mockSearch();
      const broken = Buffer.from(zipSync({ '41234567890123.json': strToU8('{"version3.0": {"customizationInfo": ') }));
      nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).reply(200, broken, { 'content-type': 'application/zip' });
      expect(await s.poll()).toMatchObject({ inserted: 0, quarantined: 1 });
      expect(listQuarantine(s.t.worker.db)[0]).toMatchObject({ field: 'orderItems[0].product.customization.customizedUrl', reason: expect.stringMatching(/is not JSON/) });
      expect(await s.t.worker.queues.reread.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 0 });
    } finally {
      await s.dispose();
    }
  });

  describe('through BullMQ (the running worker)', () => {
    async function running(name: string, reread: ReturnType<typeof createRereadFeature>) {
      let adapter: ReturnType<typeof createAmazonAdapter> | undefined;
      const t = await startTestWorker({
        prefix: `${redis.prefix}-${name}`,
        adapters: ({ db }) => [(adapter = createAmazonAdapter({ db, log: silentLog(), credentials, now: () => NOW, retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 2 } }))],
        features: [productionFeature, reread],
      });
      return { t, adapter: adapter!, poll: () => pollAccount({ db: t.worker.db, adapter: adapter!, intake: t.worker.intake, log: silentLog() }) };
    }
    const until = async (ok: () => boolean | Promise<boolean>, what: string) => {
      for (let i = 0; i < 200; i++) {
        if (await ok()) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`timed out: ${what}`);
    };

    it('retries with backoff until the file is read, then the held job is released', async () => {
      const { t, poll } = await running('bullmq-ok', createRereadFeature({ firstDelayMs: 0, backoffMs: 50 }));
      try {
        mockSearch();
        nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).reply(503, '<Error><Code>SlowDown</Code></Error>'); // the poll's download
        const getOrder = nock(SP_API).get(`${SEARCH_PATH}/${customOrder().orderId}`).query(true).times(2).reply(200, { order: customOrder() });
        nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).reply(500, '<Error><Code>InternalError</Code></Error>'); // first re-read
        nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).reply(200, customizationZip(), { 'content-type': 'application/zip' }); // second
        await poll();
        const item = () => t.worker.db.select().from(orderItems).all().find((i) => i.externalLineId === '41234567890123')!;
        await until(() => item().personalization !== null, 'the text from the second re-read');
        expect(item().personalization).toBe('Zoë & Léo 🎉\nEst. 2024 — «merci»');
        expect(getOrder.isDone()).toBe(true);
        // The text is stored inside the job; BullMQ marks it completed just after.
        await until(async () => (await t.worker.queues.reread.getJobs(['completed'])).length > 0, 'the re-read job completed');
        const [job] = await t.worker.queues.reread.getJobs(['completed']);
        expect(job!.attemptsMade).toBe(2);
        await until(async () => (await t.worker.queues.production.getJobs(['prioritized', 'waiting'])).length === 2, 'the released print job');
      } finally {
        await t.dispose();
      }
    });

    it('out of attempts: an alert event, the line stays held', async () => {
      const { t, poll } = await running('bullmq-give-up', createRereadFeature({ firstDelayMs: 0, backoffMs: 20, attempts: 2 }));
      try {
        mockSearch();
        nock(SP_API).get(`${SEARCH_PATH}/${customOrder().orderId}`).query(true).times(2).reply(200, { order: customOrder() });
        nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).times(3).reply(403, EXPIRED);
        await poll();
        await until(() => listEvents(t.worker.db, { type: 'order.incomplete' }).length === 1, 'the alert');
        expect(listEvents(t.worker.db, { type: 'order.incomplete' })[0]!.message).toMatch(/gave up re-reading after 2 attempts.*stay held/);
        const held = t.worker.db.select().from(productionItems).all().find((r) => r.flags?.includes(AWAITING_CUSTOMIZATION));
        expect(held).toMatchObject({ state: 'queued', enqueuedAt: null });
      } finally {
        await t.dispose();
      }
    });
  });
});

describe('Amazon pages survive restarts: each order is handed on as soon as it is read', () => {
  it('orders without files go at once; each custom order follows when its file is in (no window); only the last part moves the cursor', async () => {
    const plain: AmazonOrder = { ...customOrder(), orderId: '111-0000000-0000001', orderItems: [customOrder().orderItems[1]!] };
    const custom = (id: string, url: string): AmazonOrder => {
      const o = customOrder();
      return { ...o, orderId: id, orderItems: [{ ...o.orderItems[0]!, product: { ...o.orderItems[0]!.product, customization: { customizedUrl: url } } }] };
    };
    const b = custom('111-0000000-0000002', 'https://files.example/b.zip');
    const c = custom('111-0000000-0000003', 'https://files.example/c.zip');
    const release: Record<string, () => void> = {};
    const downloads: string[] = [];
    const client = {
      call: async () => ({ orders: [plain, b, c], lastUpdatedBefore: '2026-11-20T12:00:00Z' }),
      download: (url: string) => {
        downloads.push(url);
        return new Promise<Buffer>((res) => (release[url] = () => res(Buffer.from(customizationZip()))));
      },
    } as unknown as Parameters<typeof fetchAmazonOrders>[0];
    const pages = fetchAmazonOrders(client, { marketplaceIds: ['ATVPDKIKX0DER'], pageSize: 100, lateOrderWindowMs: 0, initialLookbackMs: 86_400_000, handOnEveryMs: 0, now: () => NOW }, '2026-11-19T00:00:00.000Z')[Symbol.asyncIterator]();

    const first = await pages.next();
    expect(first.value!.orders.map((r: { order: AmazonOrder }) => r.order.orderId)).toEqual([plain.orderId]);
    expect(first.value!.nextCursor).toBe('2026-11-19T00:00:00.000Z'); // unchanged: the page is not through
    expect(downloads).toHaveLength(2); // both files are on their way meanwhile

    const second = pages.next();
    release['https://files.example/b.zip']!();
    const b1 = (await second).value!;
    expect(b1.orders.map((r: { order: AmazonOrder }) => r.order.orderId)).toEqual([b.orderId]);
    expect(b1.orders[0]!.customizations).toBeDefined();
    expect(b1.nextCursor).toBe('2026-11-19T00:00:00.000Z');

    const third = pages.next();
    release['https://files.example/c.zip']!();
    const c1 = (await third).value!;
    expect(c1.orders.map((r: { order: AmazonOrder }) => r.order.orderId)).toEqual([c.orderId]);
    expect(c1.nextCursor).toBe('2026-11-20T12:00:00Z'); // the page's end, with its last order
    expect((await pages.next()).done).toBe(true);
  });

  it('orders whose files come in within the hand-on window go on together, in one transaction', async () => {
    const custom = (id: string, url: string): AmazonOrder => {
      const o = customOrder();
      return { ...o, orderId: id, orderItems: [{ ...o.orderItems[0]!, product: { ...o.orderItems[0]!.product, customization: { customizedUrl: url } } }] };
    };
    const orders = [1, 2, 3].map((n) => custom(`111-0000000-000000${n}`, `https://files.example/${n}.zip`));
    const release: Record<string, () => void> = {};
    const client = {
      call: async () => ({ orders, lastUpdatedBefore: '2026-11-20T12:00:00Z' }),
      download: (url: string) => new Promise<Buffer>((res) => (release[url] = () => res(Buffer.from(customizationZip())))),
    } as unknown as Parameters<typeof fetchAmazonOrders>[0];
    const pages = fetchAmazonOrders(client, { marketplaceIds: ['ATVPDKIKX0DER'], pageSize: 100, lateOrderWindowMs: 0, initialLookbackMs: 86_400_000, handOnEveryMs: 5_000, now: () => NOW }, '2026-11-19T00:00:00.000Z')[Symbol.asyncIterator]();

    const first = pages.next();
    await new Promise((r) => setTimeout(r, 10));
    release['https://files.example/1.zip']!();
    await new Promise((r) => setTimeout(r, 50)); // the first is in; the window waits for the others
    release['https://files.example/3.zip']!();
    release['https://files.example/2.zip']!();
    const all = (await first).value!;
    expect(all.orders.map((r: { order: AmazonOrder }) => r.order.orderId)).toEqual(orders.map((o) => o.orderId));
    expect(all.nextCursor).toBe('2026-11-20T12:00:00Z');
    expect((await pages.next()).done).toBe(true);
  });

  it('a poll stopped while a file downloads has committed the orders read before it; the next poll downloads none of their files again', async () => {
    const s = await setup('kill-mid-page');
    try {
      const second = { ...customOrder(), orderId: '114-9999999-0000002' };
      mockToken();
      nock(SP_API).get(SEARCH_PATH).query(true).times(2).reply(200, { orders: [customOrder(), second], lastUpdatedBefore: '2026-11-20T12:00:00Z' });
      // The first order's file arrives; the second's never does (the process is killed meanwhile).
      // Slower than the 1 s hand-on window, so the first order is committed alone while it waits.
      nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).query(true).once().reply(200, Buffer.from(customizationZip()));
      nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).query(true).twice().delay(1_500).reply(503, 'SlowDown');
      const killed = s.poll();
      for (let i = 0; i < 100 && s.t.worker.db.select().from(orders).all().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(s.t.worker.db.select().from(orders).all().map((o) => o.externalId)).toEqual([customOrder().orderId]);
      // The slow download fails: the second order lands with its line pending (a killed process's never would).
      await killed;
      let downloads = 0;
      nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).query(true).times(5).reply(200, () => (downloads++, Buffer.from(customizationZip())));
      await s.poll();
      expect(downloads).toBe(0); // both orders are stored: the next poll downloads nothing (the re-read job fetches the pending file)
      expect(s.t.worker.db.select().from(orders).all()).toHaveLength(2);
    } finally {
      nock.abortPendingRequests();
      await s.dispose();
    }
  });
});
