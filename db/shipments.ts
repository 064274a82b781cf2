import { desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { shipments } from './schema.ts';

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

/** Shipments whose push is not finished: the fulfillment feature re-enqueues them at start. */
export function unfinishedShipments(db: Db): Shipment[] {
  return db.select().from(shipments).where(inArray(shipments.state, ['pending', 'pushing'])).all();
}

export function updateShipment(db: Db, id: string, patch: Partial<NewShipment>): void {
  db.update(shipments)
    .set({ ...patch, updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` })
    .where(eq(shipments.id, id))
    .run();
}
