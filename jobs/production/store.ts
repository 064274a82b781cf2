import { and, eq, gt, inArray, isNotNull, isNull, not, sql } from 'drizzle-orm/sql';
import type { Db } from '../../db/connection.ts';
import { hasFlag } from '../../db/flags.ts';
import { orderItems, orders, productionItems } from '../../db/schema.ts';

/** Production rows with their order line and order, as views and jobs need them. */
export function productionRows(db: Db, where?: ReturnType<typeof and>, page?: { afterId: number; limit: number }) {
  const q = db
    .select({
      id: productionItems.id,
      kind: productionItems.kind,
      state: productionItems.state,
      rule: productionItems.rule,
      reason: productionItems.reason,
      jobId: productionItems.jobId,
      profile: productionItems.profile,
      estimateMinutes: productionItems.estimateMinutes,
      flags: productionItems.flags,
      printerGroup: productionItems.printerGroup,
      lockToken: productionItems.lockToken,
      takenBy: productionItems.takenBy,
      startedAt: productionItems.startedAt,
      printedAt: productionItems.printedAt,
      enqueuedAt: productionItems.enqueuedAt,
      orderItemId: orderItems.id,
      externalLineId: orderItems.externalLineId,
      sku: orderItems.sku,
      title: orderItems.title,
      quantity: orderItems.quantity,
      personalization: orderItems.personalization,
      variations: orderItems.variations,
      orderId: orders.id,
      platform: orders.platform,
      accountId: orders.accountId,
      externalId: orders.externalId,
      shipBy: orders.shipBy,
      orderStatus: orders.status,
    })
    .from(productionItems)
    .innerJoin(orderItems, eq(orderItems.id, productionItems.orderItemId))
    .innerJoin(orders, eq(orders.id, orderItems.orderId))
    .$dynamic();
  if (!page) return where ? q.where(where).all() : q.all();
  return q.where(and(where, gt(productionItems.id, page.afterId))).orderBy(productionItems.id).limit(page.limit).all();
}
export type ProductionRow = ReturnType<typeof productionRows>[number];

/** Row flag: the row's job is to leave the queue (order cancelled or line shipped); the next flush does it. */
export const CANCEL_PENDING = 'cancel_pending';

/** Row flag: the line's personalization is not read yet; the row waits, unenqueued, until it is. */
export const AWAITING_CUSTOMIZATION = 'customization not read yet';

/** Print lines waiting to be printed whose personalization is read: the ones that belong in the queue. */
const printableQueued = () =>
  and(eq(productionItems.kind, 'print'), eq(productionItems.state, 'queued'), not(hasFlag(productionItems.flags, AWAITING_CUSTOMIZATION)));

/** Printable rows without a job yet. */
export const rowsToEnqueue = (db: Db, page: { afterId: number; limit: number }) => productionRows(db, and(isNull(productionItems.enqueuedAt), printableQueued()), page);

/** Printable rows that were given a job (which Redis may have lost). */
export const rowsEnqueued = (db: Db, page: { afterId: number; limit: number }) => productionRows(db, and(printableQueued(), isNotNull(productionItems.enqueuedAt)), page);

/** Rows with `flag`; the first condition is the partial index's (production_items_flagged), so only flagged rows are read. */
export const rowsWithFlag = (db: Db, flag: string) =>
  productionRows(db, and(sql`${productionItems.flags} IS NOT NULL AND ${productionItems.flags} <> '[]'`, hasFlag(productionItems.flags, flag)));

export function setRow(db: Db, id: number, patch: Partial<typeof productionItems.$inferInsert>) {
  db.update(productionItems)
    .set({ ...patch, updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` })
    .where(eq(productionItems.id, id))
    .run();
}

export const withFlag = (flags: string[] | null | undefined, flag: string) => [...new Set([...(flags ?? []), flag])];
export const withoutFlag = (flags: string[] | null | undefined, flag: string) => (flags ?? []).filter((f) => f !== flag);

/** Production rows of the given order items move to shipped (the shipments feature calls this). */
export function markLinesShipped(db: Db, orderItemIds: number[]): void {
  if (orderItemIds.length === 0) return;
  // Their jobs still waiting in the queue leave it at the next flush (the flag the cancellations use).
  for (const row of productionRows(db, and(inArray(productionItems.orderItemId, orderItemIds), eq(productionItems.state, 'queued')))) {
    setRow(db, row.id, { flags: withFlag(row.flags, CANCEL_PENDING) });
  }
  db.update(productionItems)
    .set({ state: 'shipped', updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` })
    .where(and(inArray(productionItems.orderItemId, orderItemIds), sql`${productionItems.state} not in ('cancelled')`))
    .run();
}
