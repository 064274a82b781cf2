import { eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { ProductionRules } from '../../config/production.ts';
import type { Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { productionItems } from '../../db/schema.ts';
import type { ChangedOrder, OrderIntake } from '../poll.ts';
import { jobIds, type ProductionJobData, type Queues } from '../queues.ts';
import { classifyItem } from './classify.ts';
import { rowsToEnqueue, rowsWithFlag, setRow, withFlag, withoutFlag, type ProductionRow } from './store.ts';

const CANCEL_PENDING = 'cancel_pending';
export const STOP_PRINTING = 'cancelled: stop printing';

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

/**
 * Turns changed orders into production work. `stage` writes production rows in the poll's
 * transaction (the outbox); `flush` makes the Redis side agree: a job per print row not yet
 * enqueued (deterministic ids, so a repeat is a no-op) and cancellations carried out.
 */
export function createProductionIntake(deps: { db: Db; queues: Queues; rules: ProductionRules; log: Logger }): OrderIntake {
  return {
    stage(db, changes: ChangedOrder[]) {
      for (const { order, result } of changes) {
        const itemIds = result.items.map((i) => i.id);
        const existing = itemIds.length
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
        // Unpaid orders get no work yet; the change that makes them paid brings them back here.
        if (order.paymentStatus !== 'paid' && order.paymentStatus !== 'partially_refunded') continue;
        if (order.status !== 'unshipped' && order.status !== 'partially_shipped') continue;
        const have = new Set(existing.map((r) => r.orderItemId));
        for (const item of order.items) {
          const id = result.items.find((i) => i.externalLineId === item.externalLineId)?.id;
          if (id === undefined || have.has(id)) continue;
          const c = classifyItem(item, order.platform, deps.rules);
          db.insert(productionItems)
            .values({
              orderItemId: id,
              kind: c.kind,
              state: c.kind === 'print' ? 'queued' : 'ready_to_pack',
              rule: c.rule,
              reason: c.reason,
              jobId: c.kind === 'print' ? jobIds.production(order.accountId, order.externalId, item.externalLineId) : null,
              profile: c.profile ? { ...c.profile } : null,
              estimateMinutes: c.estimateMinutes ?? null,
              flags: c.flags,
              printerGroup: c.printerGroup ?? null,
            })
            .onConflictDoNothing()
            .run();
        }
      }
    },

    async flush() {
      const { db, queues, log } = deps;
      for (const row of rowsToEnqueue(db)) {
        await queues.production.add(`${row.platform} ${row.externalId} ${row.sku}`, jobData(row), {
          jobId: row.jobId!,
          priority: shipByPriority(row.shipBy),
        });
        db.update(productionItems).set({ enqueuedAt: new Date().toISOString() }).where(eq(productionItems.id, row.id)).run();
      }
      for (const row of rowsWithFlag(db, CANCEL_PENDING)) {
        const job = row.jobId ? await queues.production.getJob(row.jobId) : undefined;
        const state = job ? await job.getState() : 'missing';
        if (job && state === 'active') {
          await job.updateData({ ...job.data, flags: withFlag(job.data.flags, STOP_PRINTING) });
          setRow(db, row.id, { flags: withFlag(withoutFlag(row.flags, CANCEL_PENDING), STOP_PRINTING) });
          log.warn({ job: job.name }, 'order cancelled while printing: stop printing');
        } else {
          if (job && state !== 'completed' && state !== 'failed') await job.remove();
          setRow(db, row.id, { flags: withoutFlag(row.flags, CANCEL_PENDING) });
        }
      }
    },
  };
}
