import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isApiKeyRefusal } from '../../adapters/etsy/client.ts';
import { createEtsyAdapter } from '../../adapters/etsy/index.ts';
import type { EtsyReceipt, EtsyReceiptList } from '../../adapters/etsy/wire.ts';
import { UnrecoverableError } from 'bullmq';
import { getAccount, getTokens, saveTokens } from '../../db/accounts.ts';
import { events as eventsTable, orderItems, orders } from '../../db/schema.ts';
import { getShipment } from '../../db/shipments.ts';
import { pushShipmentJob } from '../../jobs/fulfillment/push.ts';
import { recordShipment } from '../../jobs/fulfillment/record.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { BadPayloadError, ConfigurationError, ManualActionRequired, ValidationError } from '../../src/errors.ts';
import { silentLog, tempDatabase } from '../support/env.ts';

const API = 'https://openapi.etsy.com';
const SHOP = '1000001';
const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/etsy/${name}`, import.meta.url), 'utf8')) as T;
const page1 = fixture<EtsyReceiptList>('receipts-page-1.json');
const page2 = fixture<EtsyReceiptList>('receipts-page-2.json');
const credentials = { clientId: 'test-keystring', sharedSecret: 'test-shared-secret', accessToken: 'config-access-token', refreshToken: 'config-refresh-token', shopId: SHOP };

let store: ReturnType<typeof tempDatabase>;
const adapter = (extra: Partial<Parameters<typeof createEtsyAdapter>[0]> = {}) =>
  createEtsyAdapter({ db: store.db, log: silentLog(), credentials, pageSize: 3, retry: { minTimeoutMs: 1, maxTimeoutMs: 2 }, ...extra });

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => (store = tempDatabase()));
afterEach(() => {
  nock.cleanAll();
  store.dispose();
});

const lastTs = (list: EtsyReceiptList) => Math.max(...list.results.map((r) => r.updated_timestamp));
function mockTwoPages() {
  const seenAtLast = page1.results.filter((r) => r.updated_timestamp === lastTs(page1)).length;
  nock(API, { reqheaders: { 'x-api-key': 'test-keystring:test-shared-secret' } })
    .get(`/v3/application/shops/${SHOP}/receipts`)
    .query({ min_last_modified: '0', limit: '3', offset: '0', sort_on: 'updated', sort_order: 'asc' })
    .reply(200, page1)
    .get(`/v3/application/shops/${SHOP}/receipts`)
    .query({ min_last_modified: String(lastTs(page1)), limit: '3', offset: String(seenAtLast), sort_on: 'updated', sort_order: 'asc' })
    .reply(200, page2);
}

describe('Etsy adapter (nock replay)', () => {
  it('lands a two-page receipt list exactly once', async () => {
    mockTwoPages();
    const first = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(first).toMatchObject({ pages: 2, fetched: 5, inserted: 5 });

    // The next poll re-reads from the cursor minus the overlap: the same receipts come back.
    nock(API)
      .get(`/v3/application/shops/${SHOP}/receipts`)
      .query((q) => Number(q.min_last_modified) === lastTs(page2) - 120)
      .reply(200, { count: 2, results: page2.results });
    const again = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 2 });
    expect(store.db.select().from(orders).all()).toHaveLength(5);
    const lines = page1.results.concat(page2.results).reduce((n, r) => n + r.transactions.length, 0);
    expect(store.db.select().from(orderItems).all()).toHaveLength(lines);
    expect(nock.isDone()).toBe(true);
  });

  it('converts money with divisors 100 and 1000 exactly', () => {
    const a = adapter();
    const r100 = a.normalize(page1.results[0]!);
    expect(r100.totalMinor).toBe(page1.results[0]!.grandtotal.amount);
    const r1000 = a.normalize(page1.results[2]!);
    const t = page1.results[2]!.transactions[0]!;
    expect(t.price.divisor).toBe(1000);
    expect(r1000.items[0]!.unitPriceMinor).toBe(t.price.amount / 10);
    const currency = page1.results[2]!.grandtotal.currency_code;
    expect(a.normalize({ ...page1.results[2]!, grandtotal: { amount: 123457, divisor: 1000, currency_code: currency } }).totalMinor).toBe(12346);
  });

  it('keeps personalization byte for byte, into SQLite', async () => {
    mockTwoPages();
    await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    const item = store.db.select().from(orderItems).all().find((i) => i.sku === '3DP-NAMESIGN')!;
    expect(item.personalization).toBe('Zoë & Léo 🎉\nEst. 2024 — «merci»');
    expect(Buffer.from(item.personalization!, 'utf8').equals(Buffer.from('Zoë & Léo 🎉\nEst. 2024 — «merci»', 'utf8'))).toBe(true);
  });

  it('maps receipt states to order states', () => {
    const a = adapter();
    const r = page1.results[0]!;
    const cases: [Partial<EtsyReceipt>, string, string][] = [
      [{ status: 'payment processing', is_paid: false }, 'pending', 'pending'],
      [{ status: 'paid', is_paid: true, is_shipped: false, shipments: [] }, 'unshipped', 'paid'],
      [{ status: 'completed', is_paid: true, is_shipped: true }, 'shipped', 'paid'],
      [{ status: 'canceled', is_paid: true }, 'cancelled', 'paid'],
      [{ status: 'fully refunded', is_paid: true }, 'cancelled', 'refunded'],
      [{ status: 'partially refunded', is_paid: true, is_shipped: false, shipments: [] }, 'unshipped', 'partially_refunded'],
    ];
    for (const [patch, status, payment] of cases) {
      expect(a.normalize({ ...r, ...patch } as EtsyReceipt)).toMatchObject({ status, paymentStatus: payment });
      // Live receipts say "Fully Refunded", "Payment Processing": the same state, whatever the casing.
      const live = String(patch.status).replace(/\b[a-z]/g, (c) => c.toUpperCase());
      expect(a.normalize({ ...r, ...patch, status: live } as EtsyReceipt)).toMatchObject({ status, paymentStatus: payment });
      expect(a.normalize({ ...r, ...patch, status: String(patch.status).toUpperCase() } as EtsyReceipt)).toMatchObject({ status, paymentStatus: payment });
    }
  });

  it.each([
    // Recorded 403 bodies (test/fixtures/etsy/real/README.md) and likely variants: the app's key.
    ['Shared secret is required in x-api-key header.', true],
    ["Invalid API key: should be in the format 'keystring:shared_secret'.", true],
    ['API key not found or not active, or incorrect shared secret for API key.', true],
    ['API key not found or not active', true],
    ['Invalid API key', true],
    ['This API key is inactive', true],
    ['Revoked API key', true],
    // Permission refusals: the shop's scope or country, to be done by hand, never a configuration error.
    ['This API key is not permitted to add tracking information to receipts in this country.', false],
    ['You do not have permission to view this receipt', false],
    ['Insufficient scope: transactions_w', false],
    ['No user was provided as part of the bearer token.', false],
  ])('tells a refused API key from a permission refusal: %j', (body, isKey) => {
    expect(isApiKeyRefusal(body)).toBe(isKey);
  });

  it('quarantines a receipt whose status Etsy has not defined, naming the field, instead of guessing', () => {
    for (const status of ['Refunded', 'cancelled', '', undefined]) {
      const err = (() => {
        try {
          adapter().normalize({ ...page1.results[0]!, status } as unknown as EtsyReceipt);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(BadPayloadError);
      expect((err as BadPayloadError).field).toBe('status');
    }
  });

  it.each([['Shared secret is required in x-api-key header.'], ["Invalid API key: should be in the format 'keystring:shared_secret'."]])(
    'refuses the poll as a configuration error on %j, without retrying',
    async (body) => {
    const list = nock(API)
      .get(`/v3/application/shops/${SHOP}/receipts`)
      .query(true)
      .times(5)
      .reply(403, { error: body });
    const err = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('ETSY_SHARED_SECRET');
    expect(list.pendingMocks()).toHaveLength(1); // one of the five answers was used: no retry
    expect(getAccount(store.db, 'etsy:1000001')).toMatchObject({ healthy: false, healthReason: expect.stringContaining(body) });
    },
  );

  it('reads personalization by property 54, several seller-named questions included, unescaped once', () => {
    const r = page1.results[0]!;
    const t = r.transactions[0]!;
    const variation = (property_id: number, formatted_name: string, formatted_value: string) => ({ property_id, value_id: null, formatted_name, formatted_value });
    const withVariations = (...variations: ReturnType<typeof variation>[]) => ({ ...r, transactions: [{ ...t, variations }] }) as EtsyReceipt;
    const a = adapter();
    // The 2026 tools: several answers, named by the seller, one an upload (a URL).
    const several = a.normalize(withVariations(variation(54, 'Name on the sign', 'Zoë &amp; Léo'), variation(54, 'Your logo', 'https://i.etsystatic.com/x/logo.png'), variation(200, 'Color', 'Blue')));
    expect(several.items[0]).toMatchObject({ personalization: 'Name on the sign: Zoë & Léo\nYour logo: https://i.etsystatic.com/x/logo.png', variations: { Color: 'Blue' } });
    // An unnamed question's answer is kept too.
    expect(a.normalize(withVariations(variation(54, '', 'Noah'), variation(54, 'Year', '2026'))).items[0]!.personalization).toBe('Personalization: Noah\nYear: 2026');
    // One answer is the text itself, whatever the seller called the question.
    expect(a.normalize(withVariations(variation(54, 'Engraving', 'Mom&#39;s &quot;best&quot; mug'))).items[0]!.personalization).toBe(`Mom's "best" mug`);
    // Decoded once: what the buyer typed as "&quot;" stays "&quot;".
    expect(a.normalize(withVariations(variation(54, 'Personalization', 'Tom &amp;quot;T&amp;quot;'))).items[0]!.personalization).toBe('Tom &quot;T&quot;');
  });

  it('a receipt marked shipped on the site without a shipment is shipped, every line with it', () => {
    const r = page1.results[0]!;
    const byHand = { ...r, status: 'Completed', is_paid: true, is_shipped: true, shipments: [], transactions: r.transactions.map((t) => ({ ...t, shipped_timestamp: null })) } as EtsyReceipt;
    const o = adapter().normalize(byHand);
    expect(o.status).toBe('shipped');
    expect(o.items.map((i) => i.quantityShipped)).toEqual(r.transactions.map((t) => t.quantity));
  });

  it('decodes the buyer name, address, note and gift message once, as shown and printed', () => {
    const r = page1.results[0]!;
    const o = adapter().normalize({
      ...r,
      name: 'Zo&#235; O&#39;Brien',
      first_line: '10 rue de l&#39;&Eacute;glise',
      message_from_buyer: 'Please add &quot;Happy 30th&quot; &amp; wrap it',
      is_gift: true,
      gift_message: 'For Mom &lt;3',
    } as EtsyReceipt);
    expect(o).toMatchObject({ buyerName: "Zoë O'Brien", buyerNote: 'Please add "Happy 30th" & wrap it', giftMessage: 'For Mom <3' });
    expect(o.shippingAddress).toMatchObject({ name: "Zoë O'Brien", line1: "10 rue de l'Église" });
  });

  it('falls back to listing and product ids when a listing has no SKU, and says so', () => {
    const o = adapter().normalize(page1.results[1]!);
    const t = page1.results[1]!.transactions[0]!;
    expect(o.items[0]).toMatchObject({ sku: `ETSY-${t.listing_id}-${t.product_id}`, skuFallback: expect.stringContaining('no SKU') });
  });

  it('stores a withheld address as unavailable, not as blanks', () => {
    const o = adapter().normalize({ ...page1.results[0]!, first_line: '', second_line: null, formatted_address: '', city: '', zip: '' });
    expect(o.addressUnavailable).toBe(true);
    expect(o.shippingAddress).toBeUndefined();
  });

  it('refreshes the token before it expires and keeps the rotated refresh token across a restart', async () => {
    const token = fixture<{ access_token: string; refresh_token: string }>('token-refresh.json');
    nock(API)
      .post('/v3/public/oauth/token', (body) => body.grant_type === 'refresh_token' && body.refresh_token === 'config-refresh-token' && body.client_id === 'test-keystring')
      .reply(200, token);
    nock(API, { reqheaders: { authorization: `Bearer ${token.access_token}` } })
      .get(`/v3/application/shops/${SHOP}/receipts/${page1.results[0]!.receipt_id}`)
      .reply(200, page1.results[0]);
    adapter(); // first start: the account row exists, the token's age is unknown
    // Pretend the configured token was issued 58 minutes ago.
    store.db.$client.prepare('update accounts set access_token_expires_at = ? where id = ?').run(new Date(Date.now() + 120_000).toISOString(), 'etsy:1000001');
    const restarted = adapter();
    await restarted.client.request('getShopReceipt', { method: 'GET', url: `/v3/application/shops/${SHOP}/receipts/${page1.results[0]!.receipt_id}` });
    expect(getTokens(store.db, 'etsy:1000001')).toMatchObject({ accessToken: token.access_token, refreshToken: token.refresh_token });

    // A new process reads the rotated tokens from SQLite, not the stale ones from the config.
    nock(API, { reqheaders: { authorization: `Bearer ${token.access_token}` } })
      .get(`/v3/application/shops/${SHOP}/receipts/${page1.results[0]!.receipt_id}`)
      .reply(200, page1.results[0]);
    const afterRestart = adapter();
    await afterRestart.client.request('getShopReceipt', { method: 'GET', url: `/v3/application/shops/${SHOP}/receipts/${page1.results[0]!.receipt_id}` });
    expect(nock.isDone()).toBe(true);
  });

  it('a process whose refresh token another process rotated takes the stored tokens instead of refreshing with a dead one', async () => {
    const token = fixture<{ access_token: string; refresh_token: string }>('token-refresh.json');
    const receiptPath = `/v3/application/shops/${SHOP}/receipts/${page1.results[0]!.receipt_id}`;
    const worker = adapter(); // holds the configured tokens in memory
    // `ordersync sync` (another process, same database) refreshed: Etsy rotated the refresh token.
    const refreshed = nock(API)
      .post('/v3/public/oauth/token', (body) => body.refresh_token === 'config-refresh-token')
      .once()
      .reply(200, token);
    store.db.$client.prepare('update accounts set access_token_expires_at = ? where id = ?').run(new Date(Date.now() + 60_000).toISOString(), 'etsy:1000001');
    nock(API, { reqheaders: { authorization: `Bearer ${token.access_token}` } }).get(receiptPath).twice().reply(200, page1.results[0]);
    await adapter().client.request('getShopReceipt', { method: 'GET', url: receiptPath });
    expect(refreshed.isDone()).toBe(true);

    // The worker's token is refused (401); the old refresh token would be too: it must not be sent.
    nock(API, { reqheaders: { authorization: 'Bearer config-access-token' } }).get(receiptPath).reply(401, { error: 'invalid_token' });
    const deadRefresh = nock(API).post('/v3/public/oauth/token').reply(400, { error: 'invalid_grant', error_description: 'refresh token is invalid' });
    await worker.client.request('getShopReceipt', { method: 'GET', url: receiptPath });
    expect(deadRefresh.isDone()).toBe(false);
    nock.cleanAll();
  });

  it('two processes refreshing at once: the one Etsy refuses takes the winner\'s tokens when they land a moment later', async () => {
    const token = fixture<{ access_token: string; refresh_token: string }>('token-refresh.json');
    const receiptPath = `/v3/application/shops/${SHOP}/receipts/${page1.results[0]!.receipt_id}`;
    const loser = adapter();
    nock(API, { reqheaders: { authorization: 'Bearer config-access-token' } }).get(receiptPath).reply(401, { error: 'invalid_token' });
    // Etsy refuses our refresh: the other process used the same refresh token first...
    nock(API).post('/v3/public/oauth/token').reply(400, { error: 'invalid_grant', error_description: 'refresh token is invalid' });
    // ...and stores its new tokens 300 ms later.
    setTimeout(() => saveTokens(store.db, 'etsy:1000001', { accessToken: token.access_token, refreshToken: token.refresh_token, accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString() }), 300);
    nock(API, { reqheaders: { authorization: `Bearer ${token.access_token}` } }).get(receiptPath).reply(200, page1.results[0]);
    await loser.client.request('getShopReceipt', { method: 'GET', url: receiptPath });
    expect(nock.isDone()).toBe(true);
  });

  it('waits out a 429 and loses nothing', async () => {
    nock(API)
      .get(`/v3/application/shops/${SHOP}/receipts`)
      .query(true)
      .reply(429, { error: 'Too many requests' }, { 'retry-after': '1' });
    mockTwoPages();
    const t0 = Date.now();
    const s = await pollAccount({ db: store.db, adapter: adapter(), log: silentLog() });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(s.inserted).toBe(5);
  });
});

describe('Etsy tracking upload', () => {
  const receipt = page1.results[0]!;
  const shipped = fixture<EtsyReceipt>('receipt-shipped.json');
  const push = { shipmentId: 's1', orderExternalId: String(receipt.receipt_id), carrier: 'USPS', trackingNumber: '9400111899223100012345', shippedAt: '2026-11-21T10:00:00Z', lines: [], retry: false };
  const receiptPath = `/v3/application/shops/${SHOP}/receipts/${receipt.receipt_id}`;

  it('uploads once, with the form Etsy expects, and confirms it by reading the receipt back', async () => {
    nock(API).get(receiptPath).reply(200, receipt);
    const upload = nock(API)
      .post(`${receiptPath}/tracking`, (body) => body.tracking_code === push.trackingNumber && body.carrier_name === 'usps')
      .reply(200, shipped);
    nock(API).get(receiptPath).reply(200, shipped);
    const result = await adapter().pushShipment(push);
    expect(result).toEqual({ alreadyPresent: false, remoteId: '987654321' });
    expect(upload.isDone()).toBe(true);
  });

  it('does not upload again when a retry finds the tracking already on the receipt', async () => {
    nock(API).get(receiptPath).reply(200, shipped);
    const upload = nock(API).post(`${receiptPath}/tracking`).reply(200, shipped);
    const result = await adapter().pushShipment({ ...push, retry: true });
    expect(result.alreadyPresent).toBe(true);
    expect(upload.isDone()).toBe(false);
  });

  it('an upload whose answer never comes is sent once; the next attempt finds it on the receipt and sends nothing', async () => {
    const slow = adapter({ retry: { minTimeoutMs: 1, maxTimeoutMs: 2, requestTimeoutMs: 150 } });
    nock(API).get(receiptPath).reply(200, receipt);
    const upload = nock(API).post(`${receiptPath}/tracking`).times(3).delay(1_000).reply(200, shipped); // Etsy applies it; the answer is late
    await expect(slow.pushShipment(push)).rejects.toThrow(/etsy createReceiptShipment/);
    expect(upload.pendingMocks()).toHaveLength(1); // one of three used: no blind re-send, the buyer is told once
    nock(API).get(receiptPath).reply(200, shipped);
    expect(await slow.pushShipment({ ...push, retry: true })).toEqual({ alreadyPresent: true, remoteId: '987654321' });
    expect(upload.pendingMocks()).toHaveLength(1);
  });

  it('retries an upload Etsy answered 200 but never applied', async () => {
    nock(API).get(receiptPath).reply(200, receipt);
    nock(API).post(`${receiptPath}/tracking`).reply(200, receipt);
    nock(API).get(receiptPath).reply(200, receipt);
    await expect(adapter().pushShipment(push)).rejects.toThrow(/does not show it; retrying/);
  });

  it('turns "not permitted" into a manual to-do, never a retry loop', async () => {
    nock(API).get(receiptPath).reply(200, receipt);
    const upload = nock(API).post(`${receiptPath}/tracking`).once().reply(403, fixture('error-403-tracking.json'));
    const err = await adapter().pushShipment(push).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManualActionRequired);
    expect((err as ManualActionRequired).todo).toBe(`enter tracking ${push.trackingNumber} (usps) for receipt ${receipt.receipt_id} in Etsy`);
    expect(upload.isDone()).toBe(true);
  });

  /** The receipt synced and a shipment recorded for it, the receipt read before the upload mocked. */
  async function recordedShipment() {
    mockTwoPages();
    const a = adapter();
    await pollAccount({ db: store.db, adapter: a, log: silentLog() });
    const shipment = recordShipment(store.db, { order: String(receipt.receipt_id), carrier: 'USPS', tracking: push.trackingNumber, source: 'api' }, (_p, name) => a.mapCarrier(name));
    nock(API).get(receiptPath).reply(200, receipt);
    return { a, shipment };
  }

  it('a refused shared secret on upload is a configuration error: shipment waits, account unhealthy, no manual to-do', async () => {
    const { a, shipment } = await recordedShipment();
    const upload = nock(API).post(`${receiptPath}/tracking`).times(3).reply(403, { error: 'Shared secret is required in x-api-key header.' });

    const err = await pushShipmentJob({ db: store.db, adapters: [a], log: silentLog() }, shipment.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError); // BullMQ makes no further attempt
    expect(upload.pendingMocks()).toHaveLength(1); // exactly one upload was tried
    expect(getShipment(store.db, shipment.id)).toMatchObject({ state: 'pending', error: expect.stringContaining('ETSY_SHARED_SECRET') });
    expect(getAccount(store.db, 'etsy:1000001')).toMatchObject({ healthy: false, healthReason: expect.stringContaining('Shared secret is required') });
    const events = store.db.select().from(eventsTable).all().map((e) => e.type);
    expect(events).toContain('account.unhealthy');
    expect(events).not.toContain('shipment.manual');
  });

  it('a permission refusal of the upload is the manual to-do, not a configuration error', async () => {
    const { a, shipment } = await recordedShipment();
    nock(API).post(`${receiptPath}/tracking`).reply(403, fixture('error-403-tracking.json'));
    await pushShipmentJob({ db: store.db, adapters: [a], log: silentLog() }, shipment.id).catch(() => undefined);
    expect(getShipment(store.db, shipment.id)).toMatchObject({ state: 'manual', error: expect.stringContaining('enter tracking') });
    expect(getAccount(store.db, 'etsy:1000001')?.healthy).toBe(true);
  });

  it('refuses an unknown carrier naming the accepted ones', () => {
    expect(() => adapter().mapCarrier('Pigeon Post')).toThrow(ValidationError);
    expect(() => adapter().mapCarrier('Pigeon Post')).toThrow(/Use one of: .*usps/);
    expect(adapter().mapCarrier('Royal Mail')).toEqual({ code: 'royal-mail' });
  });
});
