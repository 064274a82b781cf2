import { desc, eq, sql } from 'drizzle-orm/sql';
import type { Db } from './connection.ts';
import { events } from './schema.ts';

export interface EventInput {
  type: string;
  message: string;
  accountId?: string;
  orderId?: number;
  shipmentId?: string;
  data?: Record<string, unknown>;
}

const inserts = new WeakMap<Db['$client'], ReturnType<typeof prepareInsert>>();
const prepareInsert = (db: Db) =>
  db
    .insert(events)
    .values({
      type: sql.placeholder('type'),
      message: sql.placeholder('message'),
      accountId: sql.placeholder('accountId'),
      orderId: sql.placeholder('orderId'),
      shipmentId: sql.placeholder('shipmentId'),
      data: sql.placeholder('data'),
    })
    .prepare();

/** Prepared once per connection: events are written on every hot path. */
export function recordEvent(db: Db, e: EventInput): void {
  let insert = inserts.get(db.$client);
  if (!insert) inserts.set(db.$client, (insert = prepareInsert(db)));
  insert.run({ accountId: null, orderId: null, shipmentId: null, data: null, ...e });
}

export function listEvents(db: Db, opts: { type?: string; orderId?: number; limit?: number } = {}) {
  let q = db.select().from(events).$dynamic();
  if (opts.type) q = q.where(eq(events.type, opts.type));
  if (opts.orderId !== undefined) q = q.where(eq(events.orderId, opts.orderId));
  return q.orderBy(desc(events.id)).limit(opts.limit ?? 100).all();
}
