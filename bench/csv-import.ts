import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAccount } from '../db/accounts.ts';
import { closeDatabase, openDatabase } from '../db/connection.ts';
import { newDataKey } from '../db/crypto.ts';
import { importShipmentsCsv } from '../jobs/fulfillment/csv-import.ts';
import { startSqliteWriter } from '../test/support/sqlite-writer.ts';
import { mb, round } from './support.ts';

/**
 * `ordersync ship --csv` of `rows` rows, dry run then for real, against a database of as many orders,
 * while another process writes to the same database every 20 ms: peak RSS, rows per second, and how
 * many of the other process's write transactions failed on SQLite's lock (the target is none).
 */
export async function benchCsvImport(dir: string, rows = 100_000) {
  const dbPath = join(dir, 'csv.sqlite');
  const db = openDatabase(dbPath, { current: newDataKey(), previous: [] });
  const account = ensureAccount(db, 'etsy', 'bench-shop');
  const purchasedAt = new Date(Date.now() - 86_400_000).toISOString();
  // The orders, written directly (fast, and without leaving this process's memory high before the import).
  const insertOrder = db.$client.prepare(
    `INSERT INTO orders (platform, account_id, external_id, status, payment_status, purchased_at, remote_updated_at, currency, total_minor)
     VALUES ('etsy', ?, ?, 'unshipped', 'paid', ?, ?, 'USD', 1499) RETURNING id`,
  );
  const insertItem = db.$client.prepare(
    `INSERT INTO order_items (order_id, external_line_id, sku, title, quantity, unit_price_minor) VALUES (?, ?, 'STICKER-PACK', 'Stickers', 1, 1499)`,
  );
  db.$client.transaction(() => {
    for (let i = 0; i < rows; i++) {
      const { id } = insertOrder.get(account, `B${i}`, purchasedAt, purchasedAt) as { id: number };
      insertItem.run(id, `B${i}-1`);
    }
  })();
  const csv = join(dir, 'shipments.csv');
  const lines = ['Order Number,Carrier,Tracking Number,Items,Ship Date'];
  for (let i = 0; i < rows; i++) lines.push(`B${i},USPS,94001${String(i).padStart(17, '0')},STICKER-PACK:1,`);
  writeFileSync(csv, `${lines.join('\n')}\n`);

  global.gc?.();
  const baselineRss = process.memoryUsage().rss;
  const writer = startSqliteWriter(dbPath, 5000); // the worker's busy timeout
  const mapper = () => ({ code: 'usps' });
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const run = async (dryRun: boolean) => {
    const t0 = performance.now();
    const summary = await importShipmentsCsv(db, createReadStream(csv), mapper, { dryRun });
    return { ...summary, rowsPerSecond: Math.round(summary.ok / ((performance.now() - t0) / 1000)) };
  };
  const dry = await run(true);
  const real = await run(false);
  clearInterval(sampler);
  const other = await writer.stop();
  closeDatabase(db);
  // The process's RSS before the import is mostly loaded modules (see the footprint issue); the import's
  // own share is the growth above it.
  return {
    rows,
    dryRun: dry,
    real,
    baselineRssMb: round(mb(baselineRss)),
    peakRssMb: round(mb(peakRss)),
    importGrowthMb: round(mb(peakRss - baselineRss)),
    otherProcessWrites: other.ok,
    otherProcessLockedOut: other.locked,
  };
}
