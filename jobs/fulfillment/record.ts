import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Platform } from '../../adapters/types.ts';
import type { Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { orderItems, orders, shipments } from '../../db/schema.ts';
import { insertShipment, type Shipment } from '../../db/shipments.ts';
import { ValidationError } from '../../src/errors.ts';

export interface ShipmentInput {
  /** Our order id, or the marketplace's order number. */
  order: string;
  carrier: string;
  tracking: string;
  /** "SKU:qty" or "lineId:qty"; none: everything not yet shipped. */
  items?: { ref: string; quantity: number }[];
  shippedAt?: string;
  note?: string;
  source: 'cli' | 'api' | 'csv';
}

export type CarrierMapper = (platform: Platform, name: string) => { code: string; name?: string };

/** "3DP-A:2,STICKER:1" -> items; a bad entry is a ValidationError naming it. */
export function parseItems(text: string | undefined): ShipmentInput['items'] {
  if (!text?.trim()) return undefined;
  return text.split(',').map((part) => {
    const m = /^\s*(.+?)\s*(?::\s*(\d+))?\s*$/.exec(part);
    if (!m || (m[2] !== undefined && Number(m[2]) < 1)) throw new ValidationError(`item "${part.trim()}" is not SKU:quantity (for example 3DP-PLANTER-S:2)`);
    return { ref: m[1]!, quantity: m[2] === undefined ? 1 : Number(m[2]) };
  });
}

export function findOrder(db: Db, ref: string) {
  const trimmed = ref.trim();
  const byExternal = db.select().from(orders).where(eq(orders.externalId, trimmed)).all();
  if (byExternal.length > 1) {
    throw new ValidationError(`order number ${trimmed} exists on several accounts: ${byExternal.map((o) => `#${o.id} (${o.accountId})`).join(', ')}; use our order id`);
  }
  if (byExternal[0]) return byExternal[0];
  if (/^\d+$/.test(trimmed)) {
    const byId = db.select().from(orders).where(eq(orders.id, Number(trimmed))).get();
    if (byId) return byId;
  }
  throw new ValidationError(`unknown order "${trimmed}": no order has that id or marketplace order number`);
}

const TRACKING = /^[A-Z0-9][A-Z0-9-]{4,39}$/;
export function normalizeTracking(tracking: string): string {
  const t = tracking.replace(/\s+/g, '').toUpperCase();
  if (!t) throw new ValidationError('tracking number is empty');
  if (!TRACKING.test(t)) throw new ValidationError(`tracking number "${tracking}" is malformed: 5-40 letters, digits or dashes`);
  return t;
}

/**
 * Validates and records a shipment: the intent the fulfillment job then pushes. Nothing is
 * written unless every check passes; the caller enqueues the push after this returns.
 */
export function recordShipment(db: Db, input: ShipmentInput, mapCarrier: CarrierMapper): Shipment {
  return db.$client.transaction(() => {
    const order = findOrder(db, input.order);
    const ref = `${order.platform} order ${order.externalId}`;
    if (order.status === 'cancelled') throw new ValidationError(`${ref} is cancelled; nothing can be shipped`);
    const tracking = normalizeTracking(input.tracking);
    if (!input.carrier?.trim()) throw new ValidationError('carrier is empty');
    const carrier = mapCarrier(order.platform, input.carrier.trim());

    const recorded = db.select().from(shipments).where(eq(shipments.orderId, order.id)).all();
    const duplicate = recorded.find((s) => s.trackingNumber === tracking);
    if (duplicate) throw new ValidationError(`tracking ${tracking} is already recorded for ${ref} (shipment ${duplicate.id}, ${duplicate.state})`);

    const items = db.select().from(orderItems).where(eq(orderItems.orderId, order.id)).all();
    // Quantities already on their way: pushed (in quantity_shipped) or recorded but not yet pushed.
    const pending = new Map<number, number>();
    for (const s of recorded) {
      if (s.state === 'pushed' || s.state === 'failed') continue;
      for (const l of s.lines) pending.set(l.orderItemId, (pending.get(l.orderItemId) ?? 0) + l.quantity);
    }
    const open = (i: (typeof items)[number]) => i.quantity - i.quantityShipped - (pending.get(i.id) ?? 0);

    let lines: Shipment['lines'];
    if (!input.items?.length) {
      lines = items.filter((i) => open(i) > 0).map((i) => ({ orderItemId: i.id, externalLineId: i.externalLineId, quantity: open(i) }));
      if (lines.length === 0) throw new ValidationError(`${ref} is already shipped (or every item is on a recorded shipment)`);
    } else {
      lines = input.items.map(({ ref: itemRef, quantity }) => {
        const matches = items.filter((i) => i.sku === itemRef || i.externalLineId === itemRef);
        const item = matches.find((i) => open(i) >= quantity) ?? matches[0];
        if (!item) throw new ValidationError(`item "${itemRef}" is not in ${ref} (it has ${items.map((i) => i.sku).join(', ')})`);
        if (quantity > open(item)) {
          throw new ValidationError(`${quantity} x ${item.sku} is more than the ${Math.max(0, open(item))} not yet shipped on ${ref}`);
        }
        return { orderItemId: item.id, externalLineId: item.externalLineId, quantity };
      });
      const seen = new Set<number>();
      for (const l of lines) {
        if (seen.has(l.orderItemId)) throw new ValidationError(`item ${l.externalLineId} is listed twice`);
        seen.add(l.orderItemId);
      }
    }

    const shippedAt = input.shippedAt ? new Date(input.shippedAt) : new Date();
    if (Number.isNaN(shippedAt.getTime())) throw new ValidationError(`ship date "${input.shippedAt}" is not a date (use 2026-11-25 or an ISO time)`);
    const shipment = insertShipment(db, {
      id: randomUUID(),
      orderId: order.id,
      carrier: input.carrier.trim(),
      carrierCode: carrier.code,
      trackingNumber: tracking,
      shippedAt: shippedAt.toISOString(),
      lines,
      noteToBuyer: input.note ?? null,
      source: input.source,
    });
    recordEvent(db, {
      type: 'shipment.recorded',
      accountId: order.accountId,
      orderId: order.id,
      shipmentId: shipment.id,
      message: `${input.source}: ${carrier.code} ${tracking} for ${ref} (${lines.map((l) => `${l.externalLineId} x${l.quantity}`).join(', ')})`,
    });
    return shipment;
  })();
}
