import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAmazonAdapter } from '../../adapters/amazon/index.ts';
import type { SearchOrdersResponse } from '../../adapters/amazon/wire.ts';
import { ensureAccount, getAccount, getCursor, getTokens } from '../../db/accounts.ts';
import { listEvents } from '../../db/events.ts';
import { listQuarantine } from '../../db/quarantine.ts';
import { orderItems, orders } from '../../db/schema.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { AuthError, type RateLimitedError } from '../../src/errors.ts';
import { FakeAdapter } from '../support/fake-adapter.ts';
import { silentLog, tempDatabase } from '../support/env.ts';
import { credentials, CUSTOM_URL, fixture, LWA, mockCustomization, mockToken, NOW, page1, page2, SEARCH_PATH, SP_API } from './support.ts';

let store: ReturnType<typeof tempDatabase>;
const rateLimited: number[] = [];
const adapter = (extra: Partial<Parameters<typeof createAmazonAdapter>[0]> = {}) =>
  createAmazonAdapter({
    db: store.db,
    log: silentLog(),
    credentials,
    pageSize: 3,
    now: () => NOW,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 2, onRateLimited: (e: RateLimitedError) => void rateLimited.push(e.retryAfterMs) },
    ...extra,
  });
const poll = (a = adapter(), stream?: string) => pollAccount({ db: store.db, adapter: a, log: silentLog() }, stream);

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  store = tempDatabase();
  rateLimited.length = 0;
});
afterEach(() => {
  nock.cleanAll();
  store.dispose();
});

type Query = Record<string, string | string[]>;
const firstPageQuery = (q: Query) =>
  q.lastUpdatedAfter === new Date(NOW - 30 * 86_400_000).toISOString() &&
  q.lastUpdatedBefore === '2026-11-20T12:00:00.000Z' &&
  q.marketplaceIds === credentials.marketplaceIds.join(',') &&
  q.fulfilledBy === 'MERCHANT' &&
  q.includedData === 'FULFILLMENT,PACKAGES,PROCEEDS,BUYER,RECIPIENT' &&
  q.maxResultsPerPage === '3' &&
  q.paginationToken === undefined;

function mockTwoPages(first: SearchOrdersResponse = page1()) {
  nock(SP_API, { reqheaders: { 'x-amz-access-token': 'Atza|IwEBIFixtureAccessToken' } })
    .get(SEARCH_PATH)
    .query(firstPageQuery)
    .reply(200, first, { 'x-amzn-RateLimit-Limit': '0.0056' })
    .get(SEARCH_PATH)
    .query((q: Query) => q.paginationToken === first.pagination!.nextToken && q.lastUpdatedBefore === '2026-11-20T12:00:00.000Z')
    .reply(200, page2());
}

describe('Amazon adapter through amazon-sp-api, replayed with nock', () => {
  it('lands a two-page searchOrders exactly once, polled twice, across a restart', async () => {
    mockToken();
    mockTwoPages();
    mockCustomization();
    const first = await poll();
    expect(first).toMatchObject({ pages: 2, fetched: 5, inserted: 5, quarantined: 0 });
    expect(getCursor(store.db, 'amazon:A2TESTSELLER', 'orders')).toBe('2026-11-20T12:00:00Z');
    expect(getTokens(store.db, 'amazon:A2TESTSELLER')?.accessToken).toBe('Atza|IwEBIFixtureAccessToken');

    // A restarted worker: the stored token is reused (no LWA call is mocked), and the overlap re-read
    // of the cursor minus 2 minutes brings the second page back, unchanged.
    nock(SP_API)
      .get(SEARCH_PATH)
      .query((q: Query) => q.lastUpdatedAfter === '2026-11-20T11:58:00.000Z' && q.lastUpdatedBefore === '2026-11-20T12:00:00.000Z')
      .reply(200, page2());
    const again = await poll();
    expect(again).toMatchObject({ pages: 1, fetched: 2, inserted: 0, updated: 0, unchanged: 2 });
    expect(store.db.select().from(orders).all()).toHaveLength(5);
    expect(store.db.select().from(orderItems).all()).toHaveLength(6);
    expect(nock.isDone()).toBe(true);
  });

  it('stores the Amazon Custom text verbatim on the item, and keeps the URL', async () => {
    mockToken();
    mockTwoPages();
    const download = mockCustomization();
    await poll();
    expect(download.isDone()).toBe(true);
    const item = store.db.select().from(orderItems).all().find((i) => i.externalLineId === '41234567890123')!;
    expect(item.personalization).toBe('Zoë & Léo 🎉\nEst. 2024 — «merci»');
    expect(item.variations).toEqual({ Size: 'Large' });
    expect(item.extra).toMatchObject({ customizedUrl: CUSTOM_URL.href, giftMessage: 'Happy birthday! 🎂' });
    expect(item.sku).toBe('3DP-NAMESIGN');
    expect(item.listingId).toBe('B0CUSTOM01');
  });

  it('converts money by the currency exponent, JPY and EUR included, and withheld addresses as unavailable', async () => {
    mockToken();
    mockTwoPages();
    mockCustomization();
    await poll();
    const byId = new Map(store.db.select().from(orders).all().map((o) => [o.externalId, o]));
    expect(byId.get('112-1000001-2000001')).toMatchObject({ currency: 'USD', totalMinor: 4248, subtotalMinor: 3649, shippingMinor: 599, status: 'unshipped', addressUnavailable: false });
    expect(byId.get('503-1000003-2000003')).toMatchObject({ currency: 'JPY', totalMinor: 3600, shippingMinor: 600, status: 'shipped' });
    expect(byId.get('302-1000004-2000004')).toMatchObject({ currency: 'EUR', totalMinor: 2450, addressUnavailable: true, shippingAddress: null });
    expect(byId.get('113-1000002-2000002')).toMatchObject({ status: 'pending', paymentStatus: 'pending', currency: 'USD', totalMinor: 1999 });
    expect(byId.get('114-1000005-2000005')).toMatchObject({ status: 'cancelled' });
  });

  it('quarantines a malformed order with its reason while its page-mates land', async () => {
    const broken = page1();
    delete (broken.orders[2] as Partial<(typeof broken.orders)[number]>).lastUpdatedTime;
    mockToken();
    mockTwoPages(broken);
    mockCustomization();
    const s = await poll();
    expect(s).toMatchObject({ fetched: 5, inserted: 4, quarantined: 1 });
    const q = listQuarantine(store.db);
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ externalId: '503-1000003-2000003', field: 'lastUpdatedTime' });
    expect(q[0]!.reason).toMatch(/lastUpdatedTime: missing/);
  });

  it('waits out a 429 for as long as the rate header says and loses nothing', async () => {
    mockToken();
    nock(SP_API).get(SEARCH_PATH).query(firstPageQuery).reply(429, fixture('error-429.json'), { 'x-amzn-RateLimit-Limit': '2' });
    mockTwoPages();
    mockCustomization();
    const s = await poll();
    expect(rateLimited).toEqual([500]); // 1 / 2 requests per second
    expect(s).toMatchObject({ pages: 2, inserted: 5 });
    expect(nock.isDone()).toBe(true);
  });

  it('honours Retry-After when Amazon sends one', async () => {
    mockToken();
    nock(SP_API).get(SEARCH_PATH).query(firstPageQuery).reply(429, fixture('error-429.json'), { 'retry-after': '0.2', 'x-amzn-RateLimit-Limit': '2' });
    mockTwoPages();
    mockCustomization();
    await poll();
    expect(rateLimited).toEqual([200]);
  });

  it('refreshes the access token once when Amazon says it expired', async () => {
    store.db.$client.prepare("insert into accounts (id, platform, external_account_id, access_token, access_token_expires_at) values ('amazon:A2TESTSELLER', 'amazon', 'A2TESTSELLER', 'Atza|stale', ?)").run(new Date(Date.now() + 1_800_000).toISOString());
    nock(SP_API, { reqheaders: { 'x-amz-access-token': 'Atza|stale' } })
      .get(SEARCH_PATH)
      .query(true)
      .reply(403, { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.', details: 'The access token you provided has expired.' }] });
    mockToken();
    mockTwoPages();
    mockCustomization();
    expect(await poll()).toMatchObject({ inserted: 5 });
    expect(getTokens(store.db, 'amazon:A2TESTSELLER')?.accessToken).toBe('Atza|IwEBIFixtureAccessToken');
  });

  it('an LWA refusal marks only the Amazon account unhealthy, with the reason; others keep syncing', async () => {
    const other = new FakeAdapter('other-shop');
    other.orders = [{ id: 'E1', modified: '2026-11-20T10:00:00Z', lines: [{ id: 'E1-1', sku: 'STICKER-PACK', qty: 1 }] }];
    ensureAccount(store.db, 'etsy', 'other-shop');
    nock(LWA).post('/auth/o2/token').reply(400, fixture('lwa-invalid-grant.json'));
    const err = await poll().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    const amazon = getAccount(store.db, 'amazon:A2TESTSELLER')!;
    expect(amazon.healthy).toBe(false);
    expect(amazon.healthReason).toMatch(/invalid_grant.*re-authorize/);
    expect(listEvents(store.db, { type: 'account.unhealthy' })).toHaveLength(1);

    expect(await pollAccount({ db: store.db, adapter: other, log: silentLog() })).toMatchObject({ inserted: 1 });
    expect(getAccount(store.db, 'etsy:other-shop')!.healthy).toBe(true);
  });

  it('re-reads the trailing window on the late-orders stream and counts what the regular poll missed', async () => {
    mockToken();
    nock(SP_API)
      .get(SEARCH_PATH)
      .query((q: Query) => q.lastUpdatedAfter === new Date(NOW - credentials.lateOrderWindowMs).toISOString() && q.lastUpdatedBefore === '2026-11-20T12:00:00.000Z')
      .reply(200, page2());
    const a = adapter();
    expect(a.extraStreams).toContainEqual({ name: 'late-orders', everyMs: 3_600_000 });
    expect(await poll(a, 'late-orders')).toMatchObject({ stream: 'late-orders', inserted: 2 });
    expect(listEvents(store.db, { type: 'poll.missed_by_regular' })).toHaveLength(1);
  });

  it('once a day reads every order still waiting to ship over the 30 days a first sync reads, and counts what earlier reads skipped', async () => {
    mockToken();
    // What a paged read skipped (an order modified meanwhile shifted the token's offset past it):
    // the regular poll stored page one only, and its cursor is already past page two's orders.
    nock(SP_API).get(SEARCH_PATH).query(true).reply(200, { ...page1(), pagination: undefined });
    await poll();
    const stored = store.db.select().from(orders).all().length;
    const regularCursor = getCursor(store.db, 'amazon:A2TESTSELLER', 'orders');
    nock(SP_API)
      .get(SEARCH_PATH)
      .query(
        (q: Query) =>
          q.fulfillmentStatuses === 'UNSHIPPED,PARTIALLY_SHIPPED' &&
          q.lastUpdatedAfter === new Date(NOW - 30 * 86_400_000).toISOString() &&
          q.lastUpdatedBefore === '2026-11-20T12:00:00.000Z',
      )
      .reply(200, page2());
    const a = adapter();
    expect(a.extraStreams).toContainEqual({ name: 'open-orders', everyMs: 86_400_000, afterLongRead: true });
    expect(await poll(a, 'open-orders')).toMatchObject({ stream: 'open-orders', inserted: 2 });
    expect(store.db.select().from(orders).all()).toHaveLength(stored + 2);
    expect(nock.isDone()).toBe(true);
    expect(listEvents(store.db, { type: 'poll.missed_by_regular' })[0]!.message).toMatch(/open-orders re-read found 2/);
    expect(getCursor(store.db, 'amazon:A2TESTSELLER', 'orders')).toBe(regularCursor); // its reads never move the regular cursor
  });
});
