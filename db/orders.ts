import { gzipSync } from 'node:zlib';
import { and, eq, sql } from 'drizzle-orm';
import type { Order, OrderStatus } from '../adapters/types.ts';
import type { Db } from './connection.ts';
import { orderItems, orderPayloads, orders } from './schema.ts';

export type UpsertChange = 'inserted' | 'updated' | 'unchanged';

export interface UpsertResult {
  orderId: number;
  change: UpsertChange;
  previousStatus?: OrderStatus;
  status: OrderStatus;
  /** Item rows of the order as stored now (only filled when the order changed). */
  items: { id: number; externalLineId: string }[];
}

const excluded = (column: string) => sql.raw(`excluded.${column}`);

/**
 * Inserts or updates one normalized order and its items. Call inside a transaction.
 * A copy older than (or as old as) the stored one changes nothing: a late or repeated page
 * never regresses an order, and re-polling the same page is a no-op.
 */
export function upsertOrder(db: Db, order: Order, raw: unknown): UpsertResult {
  const existing = db
    .select({ id: orders.id, remoteUpdatedAt: orders.remoteUpdatedAt, status: orders.status })
    .from(orders)
    .where(
      and(eq(orders.platform, order.platform), eq(orders.accountId, order.accountId), eq(orders.externalId, order.externalId)),
    )
    .get();

  if (existing && Date.parse(existing.remoteUpdatedAt) >= Date.parse(order.updatedAt)) {
    return { orderId: existing.id, change: 'unchanged', previousStatus: existing.status, status: existing.status, items: [] };
  }

  const values = {
    platform: order.platform,
    accountId: order.accountId,
    externalId: order.externalId,
    status: order.status,
    paymentStatus: order.paymentStatus,
    purchasedAt: order.purchasedAt,
    remoteUpdatedAt: order.updatedAt,
    shipBy: order.shipBy ?? null,
    currency: order.currency,
    totalMinor: order.totalMinor,
    subtotalMinor: order.subtotalMinor ?? null,
    shippingMinor: order.shippingMinor ?? null,
    taxMinor: order.taxMinor ?? null,
    buyerName: order.buyerName ?? null,
    buyerEmail: order.buyerEmail ?? null,
    shippingAddress: order.shippingAddress ?? null,
    addressUnavailable: order.addressUnavailable ?? false,
    giftMessage: order.giftMessage ?? null,
    buyerNote: order.buyerNote ?? null,
    flags: order.flags?.length ? order.flags : null,
  };

  let orderId: number;
  if (existing) {
    orderId = existing.id;
    db.update(orders)
      .set({ ...values, updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` })
      .where(eq(orders.id, orderId))
      .run();
  } else {
    orderId = db.insert(orders).values(values).returning({ id: orders.id }).get().id;
  }

  const items = order.items.map((item) => {
    const row = db
      .insert(orderItems)
      .values({
        orderId,
        externalLineId: item.externalLineId,
        sku: item.sku,
        skuFallback: item.skuFallback ?? null,
        title: item.title,
        quantity: item.quantity,
        quantityShipped: item.quantityShipped ?? 0,
        unitPriceMinor: item.unitPriceMinor,
        personalization: item.personalization ?? null,
        variations: item.variations ?? null,
        listingId: item.listingId ?? null,
        extra: item.extra ?? null,
      })
      .onConflictDoUpdate({
        target: [orderItems.orderId, orderItems.externalLineId],
        set: {
          sku: excluded('sku'),
          skuFallback: excluded('sku_fallback'),
          title: excluded('title'),
          quantity: excluded('quantity'),
          // Our own push may already know more than the marketplace reported on this copy.
          quantityShipped: sql`max(${orderItems.quantityShipped}, excluded.quantity_shipped)`,
          unitPriceMinor: excluded('unit_price_minor'),
          personalization: excluded('personalization'),
          variations: excluded('variations'),
          listingId: excluded('listing_id'),
          extra: excluded('extra'),
          updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
        },
      })
      .returning({ id: orderItems.id, externalLineId: orderItems.externalLineId })
      .get();
    return row;
  });

  db.insert(orderPayloads)
    .values({ orderId, payload: gzipSync(JSON.stringify(raw)) })
    .onConflictDoUpdate({ target: orderPayloads.orderId, set: { payload: excluded('payload'), fetchedAt: excluded('fetched_at') } })
    .run();

  return {
    orderId,
    change: existing ? 'updated' : 'inserted',
    previousStatus: existing?.status,
    status: order.status,
    items,
  };
}

export function getOrderByExternalId(db: Db, platform: string, accountId: string, externalId: string) {
  return db
    .select()
    .from(orders)
    .where(and(eq(orders.platform, platform as Order['platform']), eq(orders.accountId, accountId), eq(orders.externalId, externalId)))
    .get();
}

export function getOrderItems(db: Db, orderId: number) {
  return db.select().from(orderItems).where(eq(orderItems.orderId, orderId)).all();
}

export function countOrders(db: Db): number {
  return db.select({ n: sql<number>`count(*)` }).from(orders).get()!.n;
}
