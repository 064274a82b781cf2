import { and, desc, eq, inArray, sql } from 'drizzle-orm/sql';
import type { Db } from './connection.ts';
import { orders, shipments } from './schema.ts';

export type Shipment = typeof shipments.$inferSelect;
export type NewShipment = typeof shipments.$inferInsert;

type Statements = {
  insert: ReturnType<typeof prepareInsert>;
  ofOrder: ReturnType<typeof prepareOfOrder>;
};
const cache = new WeakMap<Db['$client'], Statements>();

const prepareInsert = (db: Db) =>
  db
    .insert(shipments)
    .values({
      id: sql.placeholder('id'),
      orderId: sql.placeholder('orderId'),
      carrier: sql.placeholder('carrier'),
      carrierCode: sql.placeholder('carrierCode'),
      trackingNumber: sql.placeholder('trackingNumber'),
      shippedAt: sql.placeholder('shippedAt'),
      lines: sql.placeholder('lines'),
      noteToBuyer: sql.placeholder('noteToBuyer'),
      source: sql.placeholder('source'),
    })
    .returning()
    .prepare();
const prepareOfOrder = (db: Db) => db.select().from(shipments).where(eq(shipments.orderId, sql.placeholder('orderId'))).prepare();

/** Prepared once per connection: a CSV import records shipments by the hundred thousand. */
function statements(db: Db): Statements {
  let st = cache.get(db.$client);
  if (!st) cache.set(db.$client, (st = { insert: prepareInsert(db), ofOrder: prepareOfOrder(db) }));
  return st;
}

export function insertShipment(db: Db, s: NewShipment): Shipment {
  return statements(db).insert.get({ ...s, noteToBuyer: s.noteToBuyer ?? null });
}

/** Every shipment recorded for an order, in no particular order. */
export const recordedShipments = (db: Db, orderId: number): Shipment[] => statements(db).ofOrder.all({ orderId });

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

/** This process, as a lease owner (recorded for ops: which run holds the shipment). */
export const LEASE_OWNER = `${process.pid}@${new Date(Date.now() - performance.now()).toISOString()}`;

/**
 * Claims a shipment for one push attempt: pending, or pushing with no live lease. Atomic, so two
 * runs of the same job (BullMQ delivers at least once) never push at the same time. A run that died
 * (a crash, a kill) keeps its lease until it runs out: its create may still be in flight at the
 * marketplace, and asking "do you have it?" before that answer lands would upload it twice.
 * Returns the attempt number, or undefined when another run holds it or it is finished.
 */
export function claimShipment(db: Db, id: string, leaseMs: number, now = Date.now()): number | undefined {
  const row = db.$client
    .prepare(
      `UPDATE shipments SET state = 'pushing', attempts = attempts + 1, lease_until = ?, lease_owner = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
       WHERE id = ? AND (state = 'pending' OR (state = 'pushing' AND (lease_until IS NULL OR lease_until < ?)))
       RETURNING attempts`,
    )
    .get(new Date(now + leaseMs).toISOString(), LEASE_OWNER, id, new Date(now).toISOString()) as { attempts: number } | undefined;
  return row?.attempts;
}
