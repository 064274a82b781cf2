import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm/sql';
import type { Platform } from '../../adapters/types.ts';
import type { Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { orderItems, orders } from '../../db/schema.ts';
import { insertShipment, recordedShipments, type Shipment } from '../../db/shipments.ts';
import { ValidationError } from '../../src/errors.ts';
import { echo } from '../../src/input.ts';
import { parseShipmentRequest } from './shipment-input.ts';

/** What a caller hands over: raw input from the API, the CLI or a CSV row, validated here once. */
export interface ShipmentInput {
  /** Our order id, or the marketplace's order number. */
  order: unknown;
  carrier: unknown;
  tracking: unknown;
  /** [{ sku, quantity }] or "SKU:qty,..." (SKU or line id); none: everything not yet shipped. */
  items?: unknown;
  shippedAt?: unknown;
  note?: unknown;
  source: 'cli' | 'api' | 'csv';
}

export type CarrierMapper = (platform: Platform, name: string) => { code: string; name?: string };

/**
 * What earlier rows of the same import claimed, for a dry run whose rows are rolled back: their
 * quantities still count against what is open, and their tracking numbers are duplicates.
 */
export interface ImportClaims {
  /** Quantities earlier rows took, by order item; counted only when those rows were rolled back (dry run). */
  quantities: Map<number, number>;
  rolledBack: boolean;
  trackings: Set<string>;
}

const queries = new WeakMap<Db['$client'], ReturnType<typeof prepareQueries>>();
const prepareQueries = (db: Db) => ({
  byExternalId: db.select().from(orders).where(eq(orders.externalId, sql.placeholder('ref'))).prepare(),
  byId: db.select().from(orders).where(eq(orders.id, sql.placeholder('id'))).prepare(),
  items: db.select().from(orderItems).where(eq(orderItems.orderId, sql.placeholder('orderId'))).prepare(),
});
/** Prepared once per connection: a CSV import looks orders up by the hundred thousand. */
function q(db: Db) {
  let st = queries.get(db.$client);
  if (!st) queries.set(db.$client, (st = prepareQueries(db)));
  return st;
}

export function findOrder(db: Db, ref: string) {
  const trimmed = ref.trim();
  const byExternal = q(db).byExternalId.all({ ref: trimmed });
  if (byExternal.length > 1) {
    throw new ValidationError(`order number ${echo(trimmed)} exists on several accounts: ${byExternal.map((o) => `#${o.id} (${o.accountId})`).join(', ')}; use our order id`, 'order');
  }
  if (byExternal[0]) return byExternal[0];
  if (/^\d{1,12}$/.test(trimmed)) {
    const byId = q(db).byId.get({ id: Number(trimmed) });
    if (byId) return byId;
  }
  throw new ValidationError(`unknown order "${echo(trimmed)}": no order has that id or marketplace order number`, 'order');
}

const TRACKING = /^[A-Z0-9][A-Z0-9-]{4,39}$/;
/** Upper case without spaces; 5-40 letters, digits or dashes, of which at least 5 letters or digits (eBay sends only those). */
export function normalizeTracking(tracking: string): string {
  const t = tracking.replace(/\s+/g, '').toUpperCase();
  if (!t) throw new ValidationError('tracking: must not be empty', 'tracking');
  if (!TRACKING.test(t) || t.replace(/-/g, '').length < 5) {
    throw new ValidationError(`tracking: "${echo(tracking, 60)}" is malformed: 5-40 letters, digits or dashes, at least 5 of them letters or digits`, 'tracking');
  }
  return t;
}

/** A ship date is real between the purchase (a day of slack for time zones) and tomorrow. */
function shipDate(input: string | undefined, purchasedAt: string, now = Date.now()): Date {
  const at = input ? new Date(input) : new Date(now);
  const earliest = Date.parse(purchasedAt) - 86_400_000;
  const latest = now + 86_400_000;
  if (at.getTime() < earliest || at.getTime() > latest) {
    throw new ValidationError(`shippedAt: ${at.toISOString()} is not between the purchase (${purchasedAt.slice(0, 10)}) and tomorrow`, 'shippedAt');
  }
  return at;
}

/**
 * Validates and records a shipment: the intent the fulfillment job then pushes. Nothing is
 * written unless every check passes; the caller enqueues the push after this returns.
 */
export function recordShipment(db: Db, raw: ShipmentInput, mapCarrier: CarrierMapper, claims?: ImportClaims): Shipment {
  const { source: _source, ...request } = raw;
  const input = parseShipmentRequest(request);
  return db.$client.transaction(() => {
    const order = findOrder(db, input.order);
    const ref = `${order.platform} order ${order.externalId}`;
    if (order.status === 'cancelled') throw new ValidationError(`${ref} is cancelled; nothing can be shipped`);
    const tracking = normalizeTracking(input.tracking);
    let carrier: { code: string; name?: string };
    try {
      carrier = mapCarrier(order.platform, input.carrier);
    } catch (err) {
      throw err instanceof ValidationError ? new ValidationError(`carrier: ${err.message}`, 'carrier') : err;
    }
    const shippedAt = shipDate(input.shippedAt, order.purchasedAt);

    // An earlier row of the same import first, so a dry run and the real run say the same.
    if (claims?.trackings.has(`${order.id}|${tracking}`)) throw new ValidationError(`tracking ${tracking} for ${ref} is already on an earlier row`, 'tracking');
    const recorded = recordedShipments(db, order.id);
    const duplicate = recorded.find((s) => s.trackingNumber === tracking);
    if (duplicate) throw new ValidationError(`tracking ${tracking} is already recorded for ${ref} (shipment ${duplicate.id}, ${duplicate.state})`, 'tracking');

    const items = q(db).items.all({ orderId: order.id });
    // Quantities already on their way: pushed (in quantity_shipped) or recorded but not yet pushed.
    const pending = new Map<number, number>();
    for (const s of recorded) {
      if (s.state === 'pushed' || s.state === 'failed') continue;
      for (const l of s.lines) pending.set(l.orderItemId, (pending.get(l.orderItemId) ?? 0) + l.quantity);
    }
    const claimed = (id: number) => (claims?.rolledBack ? (claims.quantities.get(id) ?? 0) : 0);
    const open = (i: (typeof items)[number]) => i.quantity - i.quantityShipped - (pending.get(i.id) ?? 0) - claimed(i.id);

    let lines: Shipment['lines'];
    if (!input.items?.length) {
      lines = items.filter((i) => open(i) > 0).map((i) => ({ orderItemId: i.id, externalLineId: i.externalLineId, quantity: open(i) }));
      if (lines.length === 0) throw new ValidationError(`${ref} is already shipped (or every item is on a recorded shipment)`, 'items');
    } else {
      lines = input.items.map(({ sku: itemRef, quantity }, index) => {
        const matches = items.filter((i) => i.sku === itemRef || i.externalLineId === itemRef);
        const item = matches.find((i) => open(i) >= quantity) ?? matches[0];
        if (!item) throw new ValidationError(`items[${index}].sku: "${echo(itemRef)}" is not in ${ref} (it has ${items.map((i) => i.sku).join(', ')})`, `items[${index}].sku`);
        if (quantity > open(item)) {
          throw new ValidationError(`items[${index}].quantity: ${quantity} x ${item.sku} is more than the ${Math.max(0, open(item))} not yet shipped on ${ref}`, `items[${index}].quantity`);
        }
        return { orderItemId: item.id, externalLineId: item.externalLineId, quantity };
      });
      const seen = new Set<number>();
      for (const l of lines) {
        if (seen.has(l.orderItemId)) throw new ValidationError(`items: ${l.externalLineId} is listed twice`, 'items');
        seen.add(l.orderItemId);
      }
    }

    const shipment = insertShipment(db, {
      id: randomUUID(),
      orderId: order.id,
      carrier: input.carrier,
      carrierCode: carrier.code,
      trackingNumber: tracking,
      shippedAt: shippedAt.toISOString(),
      lines,
      noteToBuyer: input.note?.trim() || null,
      source: raw.source,
    });
    recordEvent(db, {
      type: 'shipment.recorded',
      accountId: order.accountId,
      orderId: order.id,
      shipmentId: shipment.id,
      message: `${raw.source}: ${carrier.code} ${tracking} for ${ref} (${lines.map((l) => `${l.externalLineId} x${l.quantity}`).join(', ')})`,
    });
    if (claims) {
      claims.trackings.add(`${order.id}|${tracking}`);
      for (const l of lines) claims.quantities.set(l.orderItemId, (claims.quantities.get(l.orderItemId) ?? 0) + l.quantity);
    }
    return shipment;
  }).immediate();
}
