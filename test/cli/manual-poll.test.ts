import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCursor, setCursor, ensureAccount } from '../../db/accounts.ts';
import { orders } from '../../db/schema.ts';
import { pollLeaseKey } from '../../jobs/lease.ts';
import { backfillAccount, BACKFILL_STREAM, syncOnce, type BackfillProgress } from '../../jobs/manual-poll.ts';
import { ShutdownError } from '../../src/errors.ts';
import { REDIS_URL, redisPrefix, silentLog, tempDatabase } from '../support/env.ts';
import { FakeAdapter } from '../support/fake-adapter.ts';

const keys = redisPrefix();
const redis = new Redis(REDIS_URL);
afterAll(async () => {
  await keys.cleanup();
  await redis.quit();
});

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T12:00:00Z');
let database: ReturnType<typeof tempDatabase>;
beforeEach(() => (database = tempDatabase()));
afterEach(() => database.dispose());

/** A shop with one order a day over the last `days` days. */
function shopWithHistory(days: number): FakeAdapter {
  const shop = new FakeAdapter(`shop-${Math.random().toString(36).slice(2, 8)}`);
  shop.pageSize = 5;
  shop.orders = Array.from({ length: days }, (_, i) => ({ id: `R${i}`, modified: new Date(NOW - (days - i) * DAY + 3_600_000).toISOString(), lines: [{ id: `L${i}`, sku: 'MUG', qty: 1 }] }));
  return shop;
}
const deps = () => ({ db: database.db, redis, prefix: keys.prefix, log: silentLog() });
const account = (shop: FakeAdapter) => `etsy:${shop.accountId}`;

describe('ordersync backfill', () => {
  it('imports the range window by window and never moves the regular poll cursor', async () => {
    const shop = shopWithHistory(10);
    ensureAccount(database.db, 'etsy', shop.accountId);
    setCursor(database.db, account(shop), 'orders', new Date(NOW - 3_600_000).toISOString());
    const seen: BackfillProgress[] = [];
    const result = await backfillAccount(deps(), shop, new Date(NOW - 10 * DAY), (p) => seen.push(p), () => NOW);
    expect(result).toMatchObject({ done: 10, windows: 10, fetched: 10, inserted: 10 });
    expect(database.db.select().from(orders).all()).toHaveLength(10);
    expect(getCursor(database.db, account(shop), 'orders')).toBe(new Date(NOW - 3_600_000).toISOString());
    expect(getCursor(database.db, account(shop), BACKFILL_STREAM)).toBe(new Date(NOW).toISOString());
    // Progress after every window, counting up.
    expect(seen.filter((p) => p.done > 0).map((p) => p.done)).toEqual(expect.arrayContaining([1, 5, 10]));
  });

  it('interrupted, then started again: resumes at the window it was in and ends with every order once', async () => {
    const shop = shopWithHistory(10);
    let windowsRead = 0;
    shop.beforePage = () => {
      windowsRead += 1;
      if (windowsRead === 5) throw new ShutdownError('interrupted (Ctrl-C)');
    };
    await expect(backfillAccount(deps(), shop, new Date(NOW - 10 * DAY), () => undefined, () => NOW)).rejects.toBeInstanceOf(ShutdownError);
    expect(database.db.select().from(orders).all()).toHaveLength(4);

    shop.beforePage = undefined;
    const calls = shop.fetchCalls;
    const result = await backfillAccount(deps(), shop, new Date(NOW - 10 * DAY), () => undefined, () => NOW);
    expect(result.resumedFrom).toBe(new Date(NOW - 6 * DAY).toISOString());
    expect(shop.fetchCalls - calls).toBe(6); // the 6 windows left, not all 10
    expect(database.db.select().from(orders).all()).toHaveLength(10);
  });

  it('the ETA is never below what the platform\'s published rate allows (Amazon-like: 1 call per 178 s past a burst of 2)', async () => {
    const shop = shopWithHistory(10);
    shop.limits = { searchOrders: { ratePerSecond: 0.0056, burst: 2 } };
    const first: BackfillProgress[] = [];
    const onProgress = (p: BackfillProgress) => void first.push(p);
    await backfillAccount(deps(), shop, new Date(NOW - 10 * DAY), onProgress, () => NOW);
    // Before the first window: 10 windows, 2 from the burst, 8 at one per 1/0.0056 s.
    expect(first[0]!.etaMs).toBeGreaterThanOrEqual((8 / 0.0056) * 1000 - 1);
    expect(first.at(-1)!.etaMs).toBe(0);
  });
});

describe('ordersync sync --once', () => {
  it('waits while the worker holds the account poll lease, then polls once; one failing account leaves the others', async () => {
    const shop = shopWithHistory(3);
    const broken = shopWithHistory(2);
    broken.beforePage = () => {
      throw new Error('the marketplace is down');
    };
    await redis.set(pollLeaseKey(keys.prefix, account(shop), 'orders'), 'the-worker', 'PX', 1_000);
    let pollsBeforeRelease = 0;
    // Reads counted before asking who holds the lease: when the answer is still the worker, they were made under its lease
    // (the sync's own lease, once it has one, holds another value).
    const check = setInterval(() => {
      const reads = shop.fetchCalls;
      void redis.get(pollLeaseKey(keys.prefix, account(shop), 'orders')).then((holder) => holder === 'the-worker' && (pollsBeforeRelease = Math.max(pollsBeforeRelease, reads)));
    }, 100);
    const results = await syncOnce(deps(), [shop, broken]);
    clearInterval(check);
    expect(pollsBeforeRelease).toBe(0); // nothing read while the worker's lease stood
    expect(results).toEqual([
      { accountId: account(shop), summary: expect.objectContaining({ fetched: 3, inserted: 3 }) },
      { accountId: account(broken), error: 'the marketplace is down' },
    ]);
  });
});
