import { AMAZON_LIMITS } from '../adapters/amazon/limits.ts';
import { EBAY_MAX_PAGE_SIZE } from '../adapters/ebay/fetch-orders.ts';
import { EBAY_LIMIT } from '../adapters/ebay/limits.ts';
import { ETSY_LIMIT } from '../adapters/etsy/limits.ts';
import { setRateScale } from '../adapters/limiter.ts';
import type { MarketplaceAdapter, Platform, RateLimit } from '../adapters/types.ts';
import { PLATFORMS } from '../config/env.ts';
import { pollAccount } from '../jobs/poll.ts';
import { startSandbox } from '../sandbox/server.ts';
import { benchStores, log, round, sandboxAdapters } from './support.ts';

/** The list operation each platform pages orders with, its page size and its published limit. */
const LIST_OPERATION: Record<string, { operation: string; pageSize: number; limit: RateLimit }> = {
  amazon: { operation: 'searchOrders', pageSize: 100, limit: AMAZON_LIMITS.searchOrders },
  ebay: { operation: 'getOrders', pageSize: EBAY_MAX_PAGE_SIZE, limit: EBAY_LIMIT },
  etsy: { operation: 'getShopReceipts', pageSize: 100, limit: ETSY_LIMIT },
};

/**
 * Drains a backlog per platform against the sandbox with every published limit scaled up `scale`x,
 * and compares the calls made with the minimum the API allows and with a naive 7-day re-read poller.
 */
export async function benchApiBudget(dir: string, backlog = 20_000, scale = 100, pollIntervalMs = 300_000, platforms: readonly Platform[] = PLATFORMS) {
  setRateScale(scale);
  const sandbox = await startSandbox({ rateScale: scale, seed: 3 });
  for (const p of platforms) sandbox.context.store.add(p, backlog, 'unshipped');
  sandbox.context.store.backdate(3_600_000);
  const stores = await benchStores(dir, `budget-x${scale}`);
  const adapters = sandboxAdapters(stores.db, sandbox.url).filter((a) => platforms.includes(a.platform));

  const drain = async (adapter: MarketplaceAdapter) => {
    const started = sandbox.context.store.calls.length;
    const t0 = performance.now();
    let stored = 0;
    // Like the scheduler: poll until a poll finds nothing new.
    for (let i = 0; i < 50; i++) {
      const s = await pollAccount({ db: stores.db, adapter, log });
      stored += s.inserted;
      if (s.inserted + s.updated === 0 && stored >= backlog) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const calls = sandbox.context.store.calls.slice(started).filter((c) => c.platform === adapter.platform);
    const list = LIST_OPERATION[adapter.platform]!;
    const listCalls = calls.filter((c) => c.operation === list.operation);
    const throttled = calls.filter((c) => c.status === 429).length;
    const allowedCalls = list.limit.burst + list.limit.ratePerSecond * scale * seconds;
    const minimumCalls = Math.ceil(backlog / list.pageSize);
    // A naive poller re-reads the last 7 days every cycle: the whole backlog, every interval.
    const naiveCallsPerDay = minimumCalls * (86_400_000 / pollIntervalMs);
    const oursCallsPerDay = calls.length + (86_400_000 / pollIntervalMs - 1); // the drain, then one call per idle cycle
    return {
      platform: adapter.platform,
      ordersStored: stored,
      seconds: round(seconds, 1),
      calls: calls.length,
      listCalls: listCalls.length,
      responses429: throttled,
      achievedListRatePerSecond: round(listCalls.length / seconds, 3),
      allowedListRatePerSecond: round(list.limit.ratePerSecond * scale, 3),
      shareOfAllowedRate: round(listCalls.length / allowedCalls, 3),
      callsPerOrder: round(calls.length / backlog, 4),
      minimumCallsPerOrder: round(minimumCalls / backlog, 4),
      naive7DayCallsPerDay: naiveCallsPerDay,
      oursCallsPerDay: Math.round(oursCallsPerDay),
    };
  };

  const results = await Promise.all(adapters.map(drain));
  for (const a of adapters) await a.close?.();
  await sandbox.close();
  await stores.close();
  return { backlogPerPlatform: backlog, scale, platforms: results };
}
