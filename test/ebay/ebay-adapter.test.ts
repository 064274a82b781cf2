import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EBAY_FULFILLMENT_SCOPE } from '../../adapters/ebay/client.ts';
import { createEbayAdapter } from '../../adapters/ebay/index.ts';
import { ebayStatus } from '../../adapters/ebay/to-order.ts';
import type { EbayOrder, EbayOrderPage } from '../../adapters/ebay/wire.ts';
import { accountId, getAccount, getCursor, getTokens } from '../../db/accounts.ts';
import { orderItems, orders, quarantine } from '../../db/schema.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { AuthError, BadPayloadError, ValidationError } from '../../src/errors.ts';
import type { EbayCredentials } from '../../config/env.ts';
import { silentLog, tempDatabase } from '../support/env.ts';

const API = 'https://api.ebay.com';
const ORDERS = '/sell/fulfillment/v1/order';
const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/ebay/${name}`, import.meta.url), 'utf8')) as T;
const page1 = () => fixture<EbayOrderPage>('get-orders-page-1.json');
const page2 = () => fixture<EbayOrderPage>('get-orders-page-2.json');
const credentials: EbayCredentials = {
  appId: 'PrintSho-ordersyn-PRD-1a2b3c4d5-6e7f8a9b',
  devId: '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
  certId: 'PRD-a1b2c3d4e5f6-7a8b-9c0d-1e2f-3a4b',
  userToken: 'v^1.1#config-user-token',
  refreshToken: 'v^1.1#config-refresh-token',
  environment: 'production',
  sellerId: 'printshop_uk',
};
/** "Now" for these tests: the first sync reads from 30 days before it. */
const NOW = Date.parse('2026-11-20T12:00:00.000Z');
const FIRST_FROM = '2026-10-21T12:00:00.000Z';
const ACCOUNT = accountId('ebay', credentials.sellerId);

let store: ReturnType<typeof tempDatabase>;
const adapters: { close?: () => Promise<void> }[] = [];
const adapter = (extra: Partial<Parameters<typeof createEbayAdapter>[0]> = {}) => {
  const a = createEbayAdapter({ db: store.db, log: silentLog(), credentials, pageSize: 3, now: () => NOW, retry: { minTimeoutMs: 1, maxTimeoutMs: 2 }, ...extra });
  adapters.push(a);
  return a;
};
const bearer = (token: string) => ({ reqheaders: { authorization: `Bearer ${token}` } });

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => (store = tempDatabase()));
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(adapters.splice(0).map((a) => a.close?.()));
  store.dispose();
});

const ordersQuery = (from: string, offset: number) => ({ filter: `lastmodifieddate:[${from}..]`, limit: '3', offset: String(offset) });

describe('eBay adapter (nock replay through ebay-api)', () => {
  it('lands a multi-page getOrders exactly once, and moves the cursor only with the last page', async () => {
    nock(API, bearer(credentials.userToken))
      .get(ORDERS)
      .query(ordersQuery(FIRST_FROM, 0))
      .reply(200, page1())
      .get(ORDERS)
      .query(ordersQuery(FIRST_FROM, 3))
      .reply(200, page2());
    const first = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(first).toMatchObject({ pages: 2, fetched: 5, inserted: 5, quarantined: 0 });
    expect(getCursor(store.db, ACCOUNT, 'orders')).toBe(new Date(NOW).toISOString());

    // The next poll re-reads five minutes before the cursor; what comes back again is unchanged.
    nock(API)
      .get(ORDERS)
      .query(ordersQuery('2026-11-20T11:55:00.000Z', 0))
      .reply(200, { ...page2(), next: undefined, offset: 0 });
    const again = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(again).toMatchObject({ pages: 1, inserted: 0, updated: 0, unchanged: 2 });
    expect(store.db.select().from(orders).all()).toHaveLength(5);
    expect(store.db.select().from(orderItems).all()).toHaveLength(7);
    expect(nock.isDone()).toBe(true);
  });

  it('a backfill window (closed range) whose total moved while it paged is read again, so no order is skipped', async () => {
    const UNTIL = '2026-11-01T00:00:00.000Z';
    const closed = (offset: number) => ({ filter: `lastmodifieddate:[${FIRST_FROM}..${UNTIL}]`, limit: '3', offset: String(offset) });
    const all = [...page1().orders!, ...page2().orders!];
    // First read: after page one, an order in it was modified (it left the window): page two starts
    // one later than it should, so the order then at offset 3 was never returned. eBay's total says so.
    nock(API)
      .get(ORDERS).query(closed(0)).reply(200, { ...page1(), total: 5 })
      .get(ORDERS).query(closed(3)).reply(200, { ...page2(), orders: all.slice(4), total: 4, next: undefined })
      // Second read of the window: stable.
      .get(ORDERS).query(closed(0)).reply(200, { ...page1(), orders: [all[0], all[1], all[3]], total: 4 })
      .get(ORDERS).query(closed(3)).reply(200, { ...page2(), orders: all.slice(4), total: 4, next: undefined });
    const pages: { orders: unknown[]; nextCursor: string }[] = [];
    const cursor = '2026-10-21T12:05:00.000Z'; // read from five minutes before it: FIRST_FROM
    for await (const page of adapter().fetchOrdersSince(cursor, 'backfill', UNTIL)) pages.push(page);
    expect(nock.isDone()).toBe(true);
    expect(pages.map((p) => p.nextCursor)).toEqual([cursor, cursor, cursor, UNTIL]); // only the stable read's end moves it
    const seen = new Set(pages.flatMap((p) => p.orders.map((o) => (o as EbayOrder).orderId)));
    expect(seen.has(all[3]!.orderId)).toBe(true); // the order the shifted offsets hid
  });

  it('an open range where an order was modified while it paged is read again, so the orders it shifted are not skipped', async () => {
    const all = [...page1().orders!, ...page2().orders!];
    // Sorted by modification: all[0] is modified after page one was read and moves to the end, so
    // page two starts one later than it should and all[3] is never returned by this read.
    const movedCopy = { ...all[0]!, lastModifiedDate: '2026-11-20T12:00:30.000Z' };
    let clock = NOW;
    nock(API)
      .get(ORDERS).query(ordersQuery(FIRST_FROM, 0)).reply(200, { ...page1(), total: 5 })
      .get(ORDERS).query(ordersQuery(FIRST_FROM, 3)).reply(() => {
        clock += 60_000; // the second read starts a minute later, after the modification
        return [200, { ...page2(), orders: [all[4], movedCopy], total: 5, next: undefined }];
      })
      .get(ORDERS).query(ordersQuery(FIRST_FROM, 0)).reply(200, { ...page1(), orders: [all[1], all[2], all[3]], total: 5 })
      .get(ORDERS).query(ordersQuery(FIRST_FROM, 3)).reply(200, { ...page2(), orders: [all[4], movedCopy], total: 5, next: undefined });
    const summary = await pollAccount({ db: store.db, adapter: adapter({ now: () => clock }), log: silentLog() });
    expect(nock.isDone()).toBe(true); // two reads: the second saw nothing modified after it started
    expect(store.db.select().from(orders).all().map((o) => o.externalId).sort()).toEqual(all.map((o) => o.orderId).sort());
    expect(summary.fetched).toBe(10);
    expect(getCursor(store.db, ACCOUNT, 'orders')).toBe(new Date(NOW).toISOString());
  });

  it('a multi-page read where nothing moved is read once', async () => {
    nock(API)
      .get(ORDERS).query(ordersQuery(FIRST_FROM, 0)).reply(200, page1())
      .get(ORDERS).query(ordersQuery(FIRST_FROM, 3)).reply(200, page2());
    const summary = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(nock.isDone()).toBe(true);
    expect(summary).toMatchObject({ fetched: 5, inserted: 5 });
  });

  it('keeps the old cursor when a later page fails, so the next poll starts over', async () => {
    nock(API)
      .get(ORDERS)
      .query(ordersQuery(FIRST_FROM, 0))
      .reply(200, page1())
      .get(ORDERS)
      .query(ordersQuery(FIRST_FROM, 3))
      .reply(400, { errors: [{ errorId: 31000, domain: 'API_FULFILLMENT', category: 'REQUEST', message: 'Invalid offset: 3' }] });
    await expect(pollAccount({ db: store.db, adapter: adapter(), log: silentLog() })).rejects.toThrow(/31000: Invalid offset/);
    expect(store.db.select().from(orders).all()).toHaveLength(3);
    expect(getCursor(store.db, ACCOUNT, 'orders')).toBe(FIRST_FROM);
  });

  it('maps every status combination', () => {
    const o = (orderPaymentStatus: string, orderFulfillmentStatus: string, cancelState = 'NONE_REQUESTED'): EbayOrder => ({
      orderPaymentStatus,
      orderFulfillmentStatus,
      cancelStatus: { cancelState, cancelRequests: [] },
    });
    const cases: [EbayOrder, string, string, string[]][] = [
      [o('PAID', 'NOT_STARTED'), 'unshipped', 'paid', []],
      [o('PAID', 'IN_PROGRESS'), 'partially_shipped', 'paid', []],
      [o('PAID', 'FULFILLED'), 'shipped', 'paid', []],
      [o('PENDING', 'NOT_STARTED'), 'pending', 'pending', []],
      [o('FAILED', 'NOT_STARTED'), 'pending', 'failed', []],
      [o('PARTIALLY_REFUNDED', 'FULFILLED'), 'shipped', 'partially_refunded', []],
      [o('PARTIALLY_REFUNDED', 'NOT_STARTED'), 'unshipped', 'partially_refunded', []],
      [o('FULLY_REFUNDED', 'NOT_STARTED'), 'cancelled', 'refunded', []],
      [o('PAID', 'NOT_STARTED', 'CANCELED'), 'cancelled', 'paid', []],
      [o('PAID', 'NOT_STARTED', 'IN_PROGRESS'), 'unshipped', 'paid', ['cancel_requested']],
      [o('PENDING', 'NOT_STARTED', 'IN_PROGRESS'), 'pending', 'pending', ['cancel_requested']],
      [{ ...o('PAID', 'NOT_STARTED'), cancelStatus: { cancelState: 'NONE_REQUESTED', cancelRequests: [{ cancelRequestState: 'REQUESTED' }] } }, 'unshipped', 'paid', ['cancel_requested']],
      [{ ...o('PAID', 'NOT_STARTED'), cancelStatus: { cancelState: 'NONE_REQUESTED', cancelRequests: [{ cancelRequestState: 'REJECTED' }] } }, 'unshipped', 'paid', []],
    ];
    for (const [order, status, paymentStatus, flags] of cases) {
      expect({ input: [order.orderPaymentStatus, order.orderFulfillmentStatus, order.cancelStatus], ...ebayStatus(order) }).toEqual({
        input: [order.orderPaymentStatus, order.orderFulfillmentStatus, order.cancelStatus],
        status,
        paymentStatus,
        flags,
      });
      // Any casing of a defined value means the same thing.
      const lower = JSON.parse(JSON.stringify(order).replace(/"([A-Z_]+)"/g, (_m, v: string) => `"${v.toLowerCase()}"`)) as EbayOrder;
      expect(ebayStatus(lower)).toEqual({ status, paymentStatus, flags });
    }
    expect(() => ebayStatus(o('AUTHORIZED', 'NOT_STARTED'))).toThrow(/orderPaymentStatus: unknown value "AUTHORIZED" \(expected one of PAID, PENDING, FAILED/);
    expect(() => ebayStatus(o('PAID', 'SHIPPED'))).toThrow(BadPayloadError);
    expect(() => ebayStatus(o('PAID', 'NOT_STARTED', 'CANCELLED'))).toThrow(/cancelStatus.cancelState: unknown value "CANCELLED"/);
    expect(() =>
      ebayStatus({ ...o('PAID', 'NOT_STARTED'), cancelStatus: { cancelState: 'NONE_REQUESTED', cancelRequests: [{ cancelRequestState: 'PENDING' }] } }),
    ).toThrow(/cancelStatus.cancelRequests\[0\].cancelRequestState/);
  });

  it('says what buyer_username holds: a user name, or the immutable user id eBay sends some apps for U.S. buyers', () => {
    const [sign] = page1().orders!;
    const withCountry = (countryCode: string | undefined) => ({ ...sign!, buyer: { username: 'x7Yq2Lm9Pz', taxAddress: countryCode ? { countryCode } : undefined } });
    // Default: the app gets user names.
    expect(adapter().normalize(withCountry('US'))).toMatchObject({ buyerUsername: 'x7Yq2Lm9Pz', buyerUsernameKind: 'username' });
    // An affected app (EBAY_US_USERNAMES_REPLACED): U.S. buyers come as ids, others keep their names.
    const affected = adapter({ credentials: { ...credentials, usUsernamesReplaced: true } });
    expect(affected.normalize(withCountry('US'))).toMatchObject({ buyerUsernameKind: 'user_id' });
    expect(affected.normalize(withCountry('DE'))).toMatchObject({ buyerUsernameKind: 'username' });
    // No tax country: the ship-to country decides; none at all counts as U.S. (never claim a name that may be an id).
    const shipToCountry = (countryCode: string | undefined) => ({
      ...withCountry(undefined),
      fulfillmentStartInstructions: [{ shippingStep: { shipTo: { fullName: 'X', contactAddress: { addressLine1: '1 Main St', countryCode } } } }],
    });
    expect(affected.normalize(shipToCountry('GB'))).toMatchObject({ buyerUsernameKind: 'username' });
    expect(affected.normalize(shipToCountry('US'))).toMatchObject({ buyerUsernameKind: 'user_id' });
    expect(affected.normalize(shipToCountry(undefined))).toMatchObject({ buyerUsernameKind: 'user_id' });
  });

  it('normalizes money, address, buyer, ship-by, variation aspects, personalization and the SKU fallback', () => {
    const a = adapter();
    const [sign, legacy, keychain] = page1().orders!;
    const o1 = a.normalize(sign!);
    expect(o1).toMatchObject({
      externalId: '12-11111-11111',
      status: 'unshipped',
      currency: 'USD',
      totalMinor: 6047,
      subtotalMinor: 5448,
      shippingMinor: 599,
      taxMinor: 0,
      buyerName: 'Ada Lovelace',
      buyerUsername: 'ada_l',
      buyerNote: 'Please pack carefully',
      shipBy: '2026-11-22T23:59:59.000Z',
      shippingAddress: { name: 'Ada Lovelace', line1: '12 Analytical Way', city: 'Springfield', region: 'IL', postalCode: '62701', countryCode: 'US', phone: '+1 555 0100' },
      addressUnavailable: false,
    });
    expect(o1.items[0]).toMatchObject({ sku: '3DP-NAMESIGN', personalization: 'Zoë & Léo 🎉\nEst. 2024 — «merci»', variations: { Size: 'Large' }, unitPriceMinor: 2450 });
    expect(o1.items[1]).toMatchObject({ sku: '3DP-PLANTER-S', quantity: 2, unitPriceMinor: 1499, variations: { Color: 'Blue' } });

    const o2 = a.normalize(legacy!);
    expect(o2).toMatchObject({ currency: 'GBP', totalMinor: 2198, flags: ['cancel_requested'] });
    expect(o2.items[0]).toMatchObject({ sku: 'EBAY-110554433221', skuFallback: 'no SKU on the listing: legacy item 110554433221', listingId: '110554433221' });

    expect(a.normalize(keychain!)).toMatchObject({ status: 'pending', paymentStatus: 'pending' });
    const [partial] = page2().orders!;
    const o4 = a.normalize(partial!);
    expect(o4.status).toBe('partially_shipped');
    expect(o4.items.map((i) => i.quantityShipped)).toEqual([1, 0]);

    const noAddress = a.normalize({ ...sign!, fulfillmentStartInstructions: [] });
    expect(noAddress).toMatchObject({ shippingAddress: undefined, addressUnavailable: true });
  });

  it('quarantines a malformed order and lands the rest of its page', async () => {
    const page = { ...page1(), next: undefined };
    page.orders![1]!.pricingSummary!.total!.value = '21,98';
    nock(API).get(ORDERS).query(true).reply(200, page);
    const s = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(s).toMatchObject({ fetched: 3, inserted: 2, quarantined: 1 });
    const q = store.db.select().from(quarantine).all();
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ externalId: '12-11111-22222' });
    expect(JSON.stringify(q[0])).toMatch(/pricingSummary\.total\.value/);
  });

  it('refreshes once on a 401 through the library, and the new token survives a restart', async () => {
    const refreshed = fixture<{ access_token: string }>('token-refresh.json');
    const basic = `Basic ${Buffer.from(`${credentials.appId}:${credentials.certId}`).toString('base64')}`;
    nock(API, bearer(credentials.userToken)).get(ORDERS).query(true).reply(401, fixture('error-401-invalid-token.json'));
    const identity = nock(API, { reqheaders: { authorization: basic } })
      .post(
        '/identity/v1/oauth2/token',
        (b) => b.grant_type === 'refresh_token' && b.refresh_token === credentials.refreshToken && b.scope === EBAY_FULFILLMENT_SCOPE,
      )
      .once()
      .reply(200, refreshed);
    nock(API, bearer(refreshed.access_token)).get(ORDERS).query(true).reply(200, { ...page2(), next: undefined });

    const s = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(s).toMatchObject({ inserted: 2 });
    expect(identity.isDone()).toBe(true);
    expect(getTokens(store.db, ACCOUNT)).toMatchObject({ accessToken: refreshed.access_token, refreshToken: credentials.refreshToken });

    // A new process on the same database starts with the refreshed token: no identity call.
    nock(API, bearer(refreshed.access_token)).get(ORDERS).query(true).reply(200, { orders: [], total: 0, limit: 3, offset: 0 });
    await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(nock.isDone()).toBe(true);

    // Re-authorizing (a new refresh token in the config) makes the stored token stale.
    const reauthorized = { ...credentials, userToken: 'v^1.1#new-user-token', refreshToken: 'v^1.1#new-refresh-token' };
    nock(API, bearer(reauthorized.userToken)).get(ORDERS).query(true).reply(200, { orders: [], total: 0, limit: 3, offset: 0 });
    await pollAccount({ db: store.db, adapter: adapter({ credentials: reauthorized }), log: silentLog() });
    expect(nock.isDone()).toBe(true);
  });

  it('a refused refresh is an AuthError that marks only the eBay account unhealthy', async () => {
    nock(API).get(ORDERS).query(true).reply(401, fixture('error-401-invalid-token.json'));
    nock(API).post('/identity/v1/oauth2/token').reply(400, fixture('token-invalid-grant.json'));
    const err = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toMatch(/invalid_grant.*EBAY_REFRESH_TOKEN/);
    expect(getAccount(store.db, ACCOUNT)).toMatchObject({ healthy: false });
    expect(getAccount(store.db, accountId('etsy', '1000001'))).toBeUndefined();
  });

  it('waits after a 429 and then goes on', async () => {
    nock(API).get(ORDERS).query(true).reply(429, fixture('error-429.json'), { 'retry-after': '0' });
    nock(API).get(ORDERS).query(true).reply(200, { ...page2(), next: undefined });
    const s = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(s).toMatchObject({ inserted: 2 });
    expect(nock.isDone()).toBe(true);
  });
});

describe('eBay shipping fulfillments', () => {
  const orderId = '12-11111-11111';
  const path = `${ORDERS}/${orderId}/shipping_fulfillment`;
  const request = fixture<{ lineItems: { lineItemId: string; quantity: number }[]; shippedDate: string; trackingNumber: string }>(
    'create-fulfillment-request-partial.json',
  );
  const push = (over: Partial<Parameters<ReturnType<typeof adapter>['pushShipment']>[0]> = {}) =>
    adapter().pushShipment({
      shipmentId: 'shp_1',
      orderExternalId: orderId,
      carrier: 'usps',
      trackingNumber: '9400 1118 9922 3100 0012 34',
      shippedAt: request.shippedDate,
      lines: [{ externalLineId: '10011111111002', quantity: 1 }],
      retry: false,
      ...over,
    });

  it('a fulfillment whose answer never comes is sent once; the next attempt finds it and sends nothing', async () => {
    const slow = adapter({ retry: { minTimeoutMs: 1, maxTimeoutMs: 2, requestTimeoutMs: 150 } });
    const pushed = { shipmentId: 'shp_9', orderExternalId: orderId, carrier: 'usps', trackingNumber: request.trackingNumber, shippedAt: request.shippedDate, lines: [{ externalLineId: '10011111111002', quantity: 1 }] };
    const create = nock(API).post(path).times(3).delay(1_000).reply(201, {}, { location: `${API}${path}/${request.trackingNumber}` });
    await expect(slow.pushShipment({ ...pushed, retry: false })).rejects.toThrow(/ebay createShippingFulfillment/);
    expect(create.pendingMocks()).toHaveLength(1); // one of three used: no blind re-send
    nock(API).get(path).reply(200, fixture('shipping-fulfillments-partial.json'));
    expect(await slow.pushShipment({ ...pushed, retry: true })).toMatchObject({ alreadyPresent: true });
    expect(create.pendingMocks()).toHaveLength(1);
  });

  it('pushes a partial then a final fulfillment with the right bodies, and never twice', async () => {
    const created = (tracking: string) => ({ location: `${API}${path}/${tracking}` });
    const partial = nock(API)
      .post(path, (b) => JSON.stringify(b) === JSON.stringify(request))
      .reply(201, {}, created(request.trackingNumber));
    expect(await push()).toEqual({ alreadyPresent: false, remoteId: request.trackingNumber });
    expect(partial.isDone()).toBe(true);

    const finalBody = {
      lineItems: [
        { lineItemId: '10011111111001', quantity: 1 },
        { lineItemId: '10011111111002', quantity: 1 },
      ],
      shippedDate: '2026-11-22T10:00:00.000Z',
      shippingCarrierCode: 'RoyalMail',
      trackingNumber: 'AB123456789GB',
    };
    const final = nock(API).post(path, finalBody).reply(201, {}, created('AB123456789GB'));
    const finalPush = {
      shipmentId: 'shp_2',
      carrier: 'Royal Mail',
      trackingNumber: 'ab 123-456-789 gb',
      shippedAt: finalBody.shippedDate,
      lines: finalBody.lineItems.map((l) => ({ externalLineId: l.lineItemId, quantity: l.quantity })),
    };
    expect(await push(finalPush)).toEqual({ alreadyPresent: false, remoteId: 'AB123456789GB' });
    expect(final.isDone()).toBe(true);

    // A retry (the first attempt's answer was lost) reads the fulfillments and sends nothing.
    nock(API)
      .get(path)
      .reply(200, {
        total: 2,
        fulfillments: [
          ...fixture<{ fulfillments: unknown[] }>('shipping-fulfillments-partial.json').fulfillments,
          { fulfillmentId: 'AB123456789GB', shipmentTrackingNumber: 'AB123456789GB', shippingCarrierCode: 'RoyalMail', lineItems: finalBody.lineItems },
        ],
      });
    expect(await push({ ...finalPush, retry: true })).toEqual({ alreadyPresent: true, remoteId: 'AB123456789GB' });
    expect(nock.isDone()).toBe(true); // no POST interceptor was left: a second send would have failed
  });

  it('a retry whose first attempt never arrived sends once', async () => {
    nock(API).get(path).reply(200, { total: 0, fulfillments: [] });
    const post = nock(API).post(path).reply(201, {}, { location: `${API}${path}/${request.trackingNumber}` });
    expect(await push({ retry: true })).toEqual({ alreadyPresent: false, remoteId: request.trackingNumber });
    expect(post.isDone()).toBe(true);
  });

  it('refuses an unknown carrier with the accepted codes, before any request', async () => {
    const a = adapter();
    expect(() => a.mapCarrier('Pony Express')).toThrow(ValidationError);
    expect(() => a.mapCarrier('Pony Express')).toThrow(/eBay does not accept the carrier "Pony Express". Use one of: .*FedEx.*RoyalMail.*USPS/);
    await expect(push({ carrier: 'Pony Express' })).rejects.toThrow(ValidationError);
    await expect(push({ trackingNumber: 'AB#123' })).rejects.toThrow(/only letters and digits/);
    expect(a.mapCarrier('royal-mail')).toEqual({ code: 'RoyalMail' });
    expect(a.mapCarrier('FEDEX')).toEqual({ code: 'FedEx' });
  });

  it('a refusal (400) is permanent and names eBay\'s reason', async () => {
    nock(API)
      .post(path)
      .reply(400, { errors: [{ errorId: 32200, domain: 'API_FULFILLMENT', category: 'REQUEST', message: 'Invalid line item id: 10011111111002' }] });
    await expect(push()).rejects.toThrow(/PermanentRemoteError|refused \(400\).*32200: Invalid line item id/);
  });
});
