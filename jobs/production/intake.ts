import type { Statement } from 'better-sqlite3';
import { eq, inArray } from 'drizzle-orm/sql';
import type { Logger } from 'pino';
import type { ProductionRules } from '../../config/production.ts';
import { customizationPendingOf } from '../../adapters/types.ts';
import type { Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { productionItems } from '../../db/schema.ts';
import type { ChangedOrder, OrderIntake } from '../poll.ts';
import { jobIds, type ProductionJobData, type Queues } from '../queues.ts';
import { classifyItem } from './classify.ts';
import { AWAITING_CUSTOMIZATION, CANCEL_PENDING, productionRows, rowsEnqueued, rowsToEnqueue, rowsWithFlag, setRow, withFlag, withoutFlag, type ProductionRow } from './store.ts';

export const STOP_PRINTING = 'cancelled: stop printing';

type InsertArgs = [number, string, string, string, string, string | null, string | null, number | null, string, string | null, string, string];
const inserts = new WeakMap<Db['$client'], Statement<InsertArgs>>();
/** One production row per order line (the hot path of a big first sync: prepared once). */
function insertRow(db: Db) {
  let st = inserts.get(db.$client);
  if (!st) {
    st = db.$client.prepare<InsertArgs>(
      `INSERT INTO production_items (order_item_id, kind, state, rule, reason, job_id, profile, estimate_minutes, flags, printer_group, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_item_id) DO NOTHING`,
    );
    inserts.set(db.$client, st);
  }
  return st;
}

/** Earliest ship-by first: BullMQ runs lower priority numbers first (1..2^21); hours since 2025. */
const EPOCH = Date.parse('2025-01-01T00:00:00Z');
export function shipByPriority(shipBy: string | null | undefined): number {
  if (!shipBy) return 2_000_000;
  return Math.min(2_000_000, Math.max(1, Math.floor((Date.parse(shipBy) - EPOCH) / 3_600_000)));
}

export function jobData(r: ProductionRow): ProductionJobData {
  return {
    productionItemId: r.id,
    orderId: r.orderId,
    orderRef: `${r.platform} ${r.externalId}`,
    platform: r.platform,
    accountId: r.accountId,
    externalLineId: r.externalLineId,
    sku: r.sku,
    title: r.title,
    quantity: r.quantity,
    personalization: r.personalization,
    variations: r.variations,
    profile: r.profile,
    estimateMinutes: r.estimateMinutes,
    shipBy: r.shipBy,
    printerGroup: r.printerGroup,
    flags: r.flags ?? [],
    rule: r.rule,
    reason: r.reason,
  };
}

/** Rows read and jobs added per round trip to Redis. */
const ENQUEUE_BATCH = 500;

const jobFor = (row: ProductionRow) => ({
  name: `${row.platform} ${row.externalId} ${row.sku}`,
  data: jobData(row),
  opts: { jobId: row.jobId!, priority: shipByPriority(row.shipBy) },
});

/**
 * Turns changed orders into production work. `stage` writes production rows in the poll's
 * transaction (the outbox); `flush` makes the Redis side agree: a job per print row not yet
 * enqueued (deterministic ids, so a repeat is a no-op) and cancellations carried out.
 */
export function createProductionIntake(deps: { db: Db; queues: Queues; rules: ProductionRules; log: Logger }): OrderIntake {
  return {
    stage(db, changes: ChangedOrder[]) {
      const now = new Date().toISOString(); // bound once, not SQLite's default per row
      for (const { order, result } of changes) {
        const itemIds = result.items.map((i) => i.id);
        // A newly inserted order cannot have production rows yet: skip the lookup on the hot path.
        const existing =
          result.change !== 'inserted' && itemIds.length
            ? db.select().from(productionItems).where(inArray(productionItems.orderItemId, itemIds)).all()
            : [];
        if (order.status === 'cancelled' || order.flags?.includes('cancel_requested')) {
          for (const row of existing) {
            if (['cancelled', 'shipped', 'packed'].includes(row.state)) continue;
            setRow(db, row.id, { state: 'cancelled', flags: withFlag(row.flags, CANCEL_PENDING) });
          }
          if (existing.some((r) => !['cancelled', 'shipped', 'packed'].includes(r.state))) {
            recordEvent(db, {
              type: 'production.cancelled',
              accountId: order.accountId,
              orderId: result.orderId,
              message: `order ${order.externalId} was ${order.status === 'cancelled' ? 'cancelled' : 'asked to be cancelled'} on ${order.platform}: production stopped`,
            });
          }
          continue;
        }
        // Shipped on the marketplace (by hand, or by another tool): queued work is no longer wanted.
        if (order.status === 'shipped') {
          for (const row of existing) if (row.state === 'queued') setRow(db, row.id, { state: 'shipped', flags: withFlag(row.flags, CANCEL_PENDING) });
          continue;
        }
        // Unpaid orders get no work yet; the change that makes them paid brings them back here.
        if (order.paymentStatus !== 'paid' && order.paymentStatus !== 'partially_refunded') continue;
        if (order.status !== 'unshipped' && order.status !== 'partially_shipped') continue;
        const have = new Map(existing.map((r) => [r.orderItemId, r]));
        for (const item of order.items) {
          const id = result.items.find((i) => i.externalLineId === item.externalLineId)?.id;
          if (id === undefined) continue;
          const pending = customizationPendingOf(item);
          const row = have.get(id);
          if (row) {
            // The text arrived: the held row is released (flush enqueues it with the text).
            if (!pending && row.flags?.includes(AWAITING_CUSTOMIZATION)) {
              setRow(db, row.id, { flags: withoutFlag(row.flags, AWAITING_CUSTOMIZATION) });
              recordEvent(db, { type: 'production.released', accountId: order.accountId, orderId: result.orderId, message: `${order.externalId} line ${item.externalLineId}: customization read, print job released` });
            }
            continue;
          }
          const c = classifyItem(item, order.platform, deps.rules);
          const flags = pending && c.kind === 'print' ? withFlag(c.flags, AWAITING_CUSTOMIZATION) : c.flags;
          insertRow(db).run(
            id,
            c.kind,
            c.kind === 'print' ? 'queued' : 'ready_to_pack',
            c.rule,
            c.reason,
            c.kind === 'print' ? jobIds.production(order.accountId, order.externalId, item.externalLineId) : null,
            c.profile ? JSON.stringify(c.profile) : null,
            c.estimateMinutes ?? null,
            JSON.stringify(flags),
            c.printerGroup ?? null,
            now,
            now,
          );
        }
      }
    },

    async flush() {
      const { db, queues, log } = deps;
      // A batch at a time: a first sync leaves tens of thousands of rows behind Redis, and reading
      // them all at once was most of the worker's peak memory.
      await inBatches(
        (page) => rowsToEnqueue(db, page),
        async (batch) => {
          await queues.production.addBulk(batch.map(jobFor));
          db.update(productionItems).set({ enqueuedAt: new Date().toISOString() }).where(inArray(productionItems.id, batch.map((r) => r.id))).run();
        },
      );
      for (const row of rowsWithFlag(db, CANCEL_PENDING)) {
        const job = row.jobId ? await queues.production.getJob(row.jobId) : undefined;
        const state = job ? await job.getState() : 'missing';
        // The flags as they are now: the next page's staging may have changed them during the awaits.
        const flagsNow = () => productionRows(db, eq(productionItems.id, row.id))[0]?.flags ?? row.flags;
        if (job && state === 'active') {
          await job.updateData({ ...job.data, flags: withFlag(job.data.flags, STOP_PRINTING) });
          setRow(db, row.id, { flags: withFlag(withoutFlag(flagsNow(), CANCEL_PENDING), STOP_PRINTING) });
          log.warn({ job: job.name }, 'order cancelled while printing: stop printing');
        } else {
          if (job && state !== 'completed' && state !== 'failed') await job.remove();
          setRow(db, row.id, { flags: withoutFlag(flagsNow(), CANCEL_PENDING) });
        }
      }
    },
  };
}

/**
 * At start: every print line the database says is queued gets its job again (deterministic ids, so
 * the ones Redis has are left alone). Redis's append-only file is synced every second; a crash of
 * Redis itself can lose the last second of jobs, never the lines.
 */
export async function requeueQueuedRows(db: Db, queues: Queues): Promise<number> {
  return inBatches(
    (page) => rowsEnqueued(db, page),
    async (batch) => void (await queues.production.addBulk(batch.map(jobFor))),
  );
}

/** Rows read ENQUEUE_BATCH at a time in id order, each batch handled before the next is read; how many in all. */
async function inBatches(read: (page: { afterId: number; limit: number }) => ProductionRow[], handle: (batch: ProductionRow[]) => Promise<void>): Promise<number> {
  let count = 0;
  for (let afterId = 0; ; ) {
    const batch = read({ afterId, limit: ENQUEUE_BATCH });
    if (batch.length === 0) return count;
    await handle(batch);
    count += batch.length;
    afterId = batch.at(-1)!.id;
  }
}
