import { setRateScale } from '../adapters/limiter.ts';
import type { MarketplaceAdapter } from '../adapters/types.ts';
import { PLATFORMS } from '../config/env.ts';
import { ensureAccount } from '../db/accounts.ts';
import type { Db } from '../db/connection.ts';
import { pollAccount } from '../jobs/poll.ts';
import { startSandbox, type Sandbox } from '../sandbox/server.ts';
import { benchStores, log, round, sandboxAdapters } from './support.ts';

/** Stores `count` orders (one item each) straight into SQLite, spread over the adapters' accounts. */
function seedOrders(db: Db, adapters: MarketplaceAdapter[], count: number) {
  const ids = adapters.map((a) => ({ platform: a.platform, id: ensureAccount(db, a.platform, a.accountId) }));
  const order = db.$client.prepare(
    `INSERT INTO orders (platform, account_id, external_id, status, payment_status, purchased_at, remote_updated_at, currency, total_minor)
     VALUES (?, ?, ?, 'shipped', 'paid', ?, ?, 'USD', 1999)`,
  );
  const item = db.$client.prepare(`INSERT INTO order_items (order_id, external_line_id, sku, title, quantity, unit_price_minor) VALUES (?, ?, 'SKU', 'seeded', 1, 1999)`);
  const old = new Date(Date.now() - 400 * 86_400_000).toISOString();
  db.$client.transaction(() => {
    for (let i = 0; i < count; i++) {
      const a = ids[i % ids.length]!;
      const id = order.run(a.platform, a.id, `seed-${i}`, old, old).lastInsertRowid;
      item.run(id, `seed-${i}-1`);
    }
  })();
}

async function pollAll(sandbox: Sandbox, db: Db, adapters: MarketplaceAdapter[]) {
  const out: Record<string, { apiCalls: number; dbMs: number; changed: number }> = {};
  for (const adapter of adapters) {
    const before = sandbox.context.store.calls.filter((c) => c.platform === adapter.platform).length;
    const s = await pollAccount({ db, adapter, log });
    const after = sandbox.context.store.calls.filter((c) => c.platform === adapter.platform).length;
    out[adapter.platform] = { apiCalls: after - before, dbMs: round(s.dbMs, 3), changed: s.inserted + s.updated };
  }
  return out;
}

async function scenario(dir: string, name: string, stored: number) {
  setRateScale(1e6);
  const sandbox = await startSandbox({ rateScale: 1e6, seed: 5 });
  for (const p of PLATFORMS) sandbox.context.store.add(p, 30, 'unshipped');
  sandbox.context.store.backdate(3_600_000);
  const stores = await benchStores(dir, name);
  const adapters = sandboxAdapters(stores.db, sandbox.url);
  const t0 = performance.now();
  seedOrders(stores.db, adapters, stored);
  const seedMs = performance.now() - t0;
  await pollAll(sandbox, stores.db, adapters); // first sync: tokens, cursors
  await pollAll(sandbox, stores.db, adapters); // settle the overlap window
  const idle = await pollAll(sandbox, stores.db, adapters);
  // Changed since the last poll, as a marketplace would report them (not backdated below the cursor).
  for (const p of PLATFORMS) sandbox.context.store.add(p, 100, 'unshipped');
  const hundred = await pollAll(sandbox, stores.db, adapters);
  await sandbox.close();
  await stores.close();
  return { stored, seedMs: round(seedMs), idle, hundredChanged: hundred };
}

export async function benchIdlePoll(dir: string, stored = 1_000_000) {
  const big = await scenario(dir, 'idle-1m', stored);
  const small = await scenario(dir, 'idle-small', 0);
  const dbMs = (r: Awaited<ReturnType<typeof scenario>>, k: 'idle' | 'hundredChanged') =>
    round(Object.values(r[k]).reduce((n, x) => n + x.dbMs, 0), 3);
  return {
    withStored: big,
    withEmptyStore: small,
    idleDbMsAllAccounts: dbMs(big, 'idle'),
    idleDbMsWorstAccount: Math.max(...Object.values(big.idle).map((x) => x.dbMs)),
    hundredChangedFound: Object.fromEntries(Object.entries(big.hundredChanged).map(([p, x]) => [p, x.changed])),
    idleApiCallsPerAccount: Object.fromEntries(Object.entries(big.idle).map(([p, x]) => [p, x.apiCalls])),
    hundredChangedDbMs: { stored1m: dbMs(big, 'hundredChanged'), storedNone: dbMs(small, 'hundredChanged') },
    hundredChangedRatio1mToEmpty: round(dbMs(big, 'hundredChanged') / dbMs(small, 'hundredChanged')),
  };
}
