import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { orders, shipments } from './schema.ts';

export type Shipment = typeof shipments.$inferSelect;
export type NewShipment = typeof shipments.$inferInsert;

export function insertShipment(db: Db, s: NewShipment): Shipment {
  return db.insert(shipments).values(s).returning().get();
}

export function getShipment(db: Db, id: string): Shipment | undefined {
  return db.select().from(shipments).where(eq(shipments.id, id)).get();
}

export function shipmentsOfOrder(db: Db, orderId: number): Shipment[] {
  return db.select().from(shipments).where(eq(shipments.orderId, orderId)).orderBy(desc(shipments.createdAt)).all();
}

/** Shipments whose push is not finished (of one account, when named): the fulfillment feature re-enqueues them. */
export function unfinishedShipments(db: Db, accountId?: string): Shipment[] {
  const open = inArray(shipments.state, ['pending', 'pushing']);
  if (!accountId) return db.select().from(shipments).where(open).all();
  return db
    .select({ shipment: shipments })
    .from(shipments)
    .innerJoin(orders, eq(orders.id, shipments.orderId))
    .where(and(open, eq(orders.accountId, accountId)))
    .all()
    .map((r) => r.shipment);
}

export function updateShipment(db: Db, id: string, patch: Partial<NewShipment>): void {
  db.update(shipments)
    .set({ ...patch, updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` })
    .where(eq(shipments.id, id))
    .run();
}
