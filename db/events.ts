import { desc, eq } from 'drizzle-orm';
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

export function recordEvent(db: Db, e: EventInput): void {
  db.insert(events).values(e).run();
}

export function listEvents(db: Db, opts: { type?: string; orderId?: number; limit?: number } = {}) {
  let q = db.select().from(events).$dynamic();
  if (opts.type) q = q.where(eq(events.type, opts.type));
  if (opts.orderId !== undefined) q = q.where(eq(events.orderId, opts.orderId));
  return q.orderBy(desc(events.id)).limit(opts.limit ?? 100).all();
}
