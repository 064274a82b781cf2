import { join } from 'node:path';
import Database from 'better-sqlite3';
import { setRateScale } from '../adapters/limiter.ts';
import type { MarketplaceAdapter, Order, OrderPage } from '../adapters/types.ts';
import { PLATFORMS } from '../config/env.ts';
import { openDatabase } from '../db/connection.ts';
import { newDataKey } from '../db/crypto.ts';
import { pollAccount, type OrderIntake } from '../jobs/poll.ts';
import { productionFeature } from '../jobs/production/index.ts';
import { startSandbox } from '../sandbox/server.ts';
import { benchStores, log, round, rssSampler, sandboxAdapters } from './support.ts';

/** Replays pages fetched beforehand, so the timed run measures our pipeline and not HTTP. */
function replayAdapter(adapter: MarketplaceAdapter, pages: OrderPage[]): MarketplaceAdapter {
  return Object.assign(Object.create(adapter) as MarketplaceAdapter, {
    async *fetchOrdersSince() {
      yield* pages;
    },
  });
}

export async function benchIngest(dir: string, total = 50_000) {
  setRateScale(1e6);
  const sandbox = await startSandbox({ rateScale: 1e6, seed: 11 });
  sandbox.context.store.maxLines = 5;
  for (const p of PLATFORMS) sandbox.context.store.add(p, Math.ceil(total / PLATFORMS.length), 'unshipped');
  sandbox.context.store.backdate(3_600_000);
  const stores = await benchStores(dir, 'ingest');
  const adapters = sandboxAdapters(stores.db, sandbox.url);

  const fetched: { adapter: MarketplaceAdapter; pages: OrderPage[] }[] = [];
  for (const adapter of adapters) {
    const pages: OrderPage[] = [];
    for await (const page of adapter.fetchOrdersSince(null)) pages.push(page);
    fetched.push({ adapter, pages });
  }
  await sandbox.close();
  const orderCount = fetched.reduce((n, f) => n + f.pages.reduce((m, p) => m + p.orders.length, 0), 0);

  /**
   * One pass over the fetched pages into a fresh store. `toRedis` false: the production rows are staged
   * in SQLite but not enqueued (the SQLite figure); true: everything, Redis included (end to end). A
   * poll's Redis side runs beside its next page, so the two cannot be told apart within one pass.
   */
  const pass = async (name: string, toRedis: boolean) => {
    const target = await benchStores(dir, name);
    const inner = productionFeature.intake!(target.services(adapters));
    const intake: OrderIntake = { stage: (db, changes) => inner.stage(db, changes), flush: toRedis ? () => inner.flush() : async () => undefined };
    global.gc?.();
    const rss = rssSampler();
    const t0 = performance.now();
    let dbMs = 0;
    for (const { adapter, pages } of fetched) {
      const summary = await pollAccount({ db: target.db, adapter: replayAdapter(adapter, pages), intake, log });
      dbMs += summary.dbMs;
    }
    const ms = performance.now() - t0;
    const peakRssMb = rss.stop();
    const productionJobs = await target.queues.production.count();
    await target.close();
    return { ms, dbMs, peakRssMb, productionJobs };
  };
  const toSqlite = await pass('ingest-sqlite', false);
  const endToEnd = await pass('ingest-e2e', true);
  const totalMs = endToEnd.ms;
  const sqliteMs = toSqlite.ms;
  const redisMs = Math.max(0, endToEnd.ms - toSqlite.ms);
  const dbMs = toSqlite.dbMs;
  const peakRssMb = Math.max(toSqlite.peakRssMb, endToEnd.peakRssMb);
  const productionJobs = endToEnd.productionJobs;

  // The physical limit of this store: the same rows, bare prepared inserts, one transaction.
  const normalized: Order[] = fetched.flatMap(({ adapter, pages }) => pages.flatMap((p) => p.orders.map((raw) => adapter.normalize(raw))));
  const bareMs = bareInsert(join(dir, 'bare.sqlite'), normalized);
  const itemCount = normalized.reduce((n, o) => n + o.items.length, 0);

  await stores.close();
  return {
    orders: orderCount,
    items: itemCount,
    productionJobs,
    totalMs: round(totalMs),
    sqliteMs: round(sqliteMs),
    dbTransactionMs: round(dbMs),
    redisMs: round(redisMs),
    ordersPerSecondToSqlite: Math.round(orderCount / (sqliteMs / 1000)),
    ordersPerSecondEndToEnd: Math.round(orderCount / (totalMs / 1000)),
    bareInsertMs: round(bareMs),
    bareOrdersPerSecond: Math.round(orderCount / (bareMs / 1000)),
    costRatioToBare: round(sqliteMs / bareMs),
    peakRssMb: round(peakRssMb, 1),
  };
}

function bareInsert(path: string, orders: Order[]): number {
  const schemaDb = openDatabase(path, { current: newDataKey(), previous: [] }); // same schema and indexes as the real store
  schemaDb.$client.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insertOrder = db.prepare(
    `INSERT INTO orders (platform, account_id, external_id, status, payment_status, purchased_at, remote_updated_at, currency, total_minor)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertItem = db.prepare(
    `INSERT INTO order_items (order_id, external_line_id, sku, title, quantity, unit_price_minor) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  db.prepare(`INSERT OR IGNORE INTO accounts (id, platform, external_account_id) VALUES (?, ?, ?)`);
  for (const a of new Set(orders.map((o) => `${o.accountId}|${o.platform}`))) {
    const [id, platform] = a.split('|');
    db.prepare(`INSERT OR IGNORE INTO accounts (id, platform, external_account_id) VALUES (?, ?, ?)`).run(id, platform, id);
  }
  const t0 = performance.now();
  db.transaction(() => {
    for (const o of orders) {
      const id = insertOrder.run(o.platform, o.accountId, o.externalId, o.status, o.paymentStatus, o.purchasedAt, o.updatedAt, o.currency, o.totalMinor)
        .lastInsertRowid;
      for (const i of o.items) insertItem.run(id, i.externalLineId, i.sku, i.title, i.quantity, i.unitPriceMinor);
    }
  })();
  const ms = performance.now() - t0;
  db.close();
  return ms;
}
