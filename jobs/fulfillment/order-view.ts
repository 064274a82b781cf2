import { eq, inArray } from 'drizzle-orm/sql';
import type { Db } from '../../db/connection.ts';
import { orderPersonalData } from '../../db/orders.ts';
import { orderItems, productionItems } from '../../db/schema.ts';
import { shipmentsOfOrder } from '../../db/shipments.ts';
import { findOrder } from './record.ts';

/** The order confirmation view: the order, its payment status, production per item and every shipment. */
export function orderView(db: Db, ref: string) {
  const order = findOrder(db, ref);
  const personal = orderPersonalData(db, order);
  const items = db.select().from(orderItems).where(eq(orderItems.orderId, order.id)).all();
  const production = items.length ? db.select().from(productionItems).where(inArray(productionItems.orderItemId, items.map((i) => i.id))).all() : [];
  return {
    id: order.id,
    platform: order.platform,
    accountId: order.accountId,
    orderNumber: order.externalId,
    status: order.status,
    paymentStatus: order.paymentStatus,
    purchasedAt: order.purchasedAt,
    shipBy: order.shipBy,
    currency: order.currency,
    totalMinor: order.totalMinor,
    buyerName: personal.buyerName,
    buyerEmail: personal.buyerEmail,
    buyerUsername: personal.buyerUsername,
    buyerUsernameKind: order.buyerUsernameKind,
    shippingAddress: personal.shippingAddress,
    buyerNote: personal.buyerNote,
    giftMessage: personal.giftMessage,
    addressUnavailable: order.addressUnavailable,
    flags: order.flags ?? [],
    items: items.map((i) => {
      const p = production.find((x) => x.orderItemId === i.id);
      return {
        id: i.id,
        lineId: i.externalLineId,
        sku: i.sku,
        title: i.title,
        quantity: i.quantity,
        quantityShipped: i.quantityShipped,
        personalization: i.personalization,
        variations: i.variations,
        production: p ? { id: p.id, kind: p.kind, state: p.state, flags: p.flags ?? [] } : null,
      };
    }),
    shipments: shipmentsOfOrder(db, order.id).map((s) => ({
      id: s.id,
      carrier: s.carrier,
      carrierCode: s.carrierCode,
      trackingNumber: s.trackingNumber,
      shippedAt: s.shippedAt,
      lines: s.lines,
      source: s.source,
      pushState: s.state,
      attempts: s.attempts,
      error: s.error,
      pushedAt: s.pushedAt,
    })),
  };
}
