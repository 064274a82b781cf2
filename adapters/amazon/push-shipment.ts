import { createHash } from 'node:crypto';
import { PermanentRemoteError, ValidationError } from '../../src/errors.ts';
import type { ShipmentPush, ShipmentPushResult } from '../types.ts';
import type { AmazonClient } from './client.ts';
import { getAmazonOrder } from './fetch-orders.ts';
import { amazonStatus } from './to-order.ts';
import type { ConfirmShipmentRequest } from './wire.ts';

const sameTracking = (a: string, b: string) => a.replace(/\s+/g, '').toUpperCase() === b.replace(/\s+/g, '').toUpperCase();

/**
 * Amazon takes only positive numbers as package references. Ours is the shipment id: used as is
 * when numeric, otherwise a stable number derived from it, so a retry sends (and finds) the same one.
 */
export function packageReferenceId(shipmentId: string): string {
  if (/^[1-9]\d{0,15}$/.test(shipmentId)) return shipmentId;
  const n = BigInt(`0x${createHash('sha256').update(shipmentId).digest('hex').slice(0, 12)}`) + 1n;
  return n.toString();
}

const readOrder = (client: AmazonClient, orderId: string) => getAmazonOrder(client, orderId, ['FULFILLMENT', 'PACKAGES']);

/**
 * v0 confirmShipment, exactly once. The order is read first (getOrder 2026-01-01 with PACKAGES):
 * a package with our reference or tracking number means an earlier attempt got through (the
 * process died before it could record that), so nothing is sent again.
 */
export async function pushAmazonShipment(client: AmazonClient, s: ShipmentPush, carrier: { code: string; name?: string }): Promise<ShipmentPushResult> {
  const reference = packageReferenceId(s.shipmentId);
  const order = await readOrder(client, s.orderExternalId);
  const existing = (order.packages ?? []).find(
    (p) => p.packageReferenceId === reference || (p.trackingNumber && sameTracking(p.trackingNumber, s.trackingNumber)),
  );
  if (existing) return { alreadyPresent: true, remoteId: existing.packageReferenceId };
  const status = order.fulfillment?.fulfillmentStatus;
  const state = amazonStatus(status).status;
  if (state === 'cancelled') {
    throw new PermanentRemoteError(`Amazon order ${s.orderExternalId} is ${status}; the shipment was not confirmed`);
  }
  if (state === 'pending') {
    throw new PermanentRemoteError(`Amazon order ${s.orderExternalId} is ${status} (not paid yet); Amazon refuses shipment confirmation until it is UNSHIPPED`);
  }
  const marketplaceId = order.salesChannel?.marketplaceId;
  if (!marketplaceId) throw new PermanentRemoteError(`Amazon order ${s.orderExternalId} has no marketplaceId; cannot confirm the shipment`);

  const known = new Map(order.orderItems.map((i) => [i.orderItemId, i]));
  // No lines given: the package holds whatever is still unshipped.
  const lines = s.lines.length
    ? s.lines.map((l) => ({ orderItemId: l.externalLineId, quantity: l.quantity }))
    : order.orderItems
        .map((i) => ({ orderItemId: i.orderItemId, quantity: i.fulfillment?.quantityUnfulfilled ?? i.quantityOrdered - (i.fulfillment?.quantityFulfilled ?? 0) }))
        .filter((l) => l.quantity > 0);
  for (const l of lines) {
    if (!known.has(l.orderItemId)) throw new ValidationError(`Amazon order ${s.orderExternalId} has no order item ${l.orderItemId}`);
    if (!Number.isInteger(l.quantity) || l.quantity < 1) throw new ValidationError(`quantity ${l.quantity} for order item ${l.orderItemId} is not a positive whole number`);
  }
  if (lines.length === 0) throw new ValidationError(`Amazon order ${s.orderExternalId} has nothing left to ship`);

  const body: ConfirmShipmentRequest = {
    marketplaceId,
    packageDetail: {
      packageReferenceId: reference,
      carrierCode: carrier.code,
      ...(carrier.code === 'Other' ? { carrierName: carrier.name ?? s.carrier } : {}),
      trackingNumber: s.trackingNumber,
      shipDate: new Date(s.shippedAt).toISOString(),
      orderItems: lines,
    },
  };
  try {
    await client.call<void>('confirmShipment', { endpoint: 'orders', version: 'v0', path: { orderId: s.orderExternalId }, body }, { creates: true });
  } catch (err) {
    // Amazon refuses a second confirmation of the same package ("...order already fulfilled",
    // PackageToUpdateNotFound): when the order now shows our package, it is confirmed, not failed.
    if (err instanceof PermanentRemoteError) {
      const after = await readOrder(client, s.orderExternalId);
      const ours = (after.packages ?? []).find((p) => p.packageReferenceId === reference || (p.trackingNumber && sameTracking(p.trackingNumber, s.trackingNumber)));
      if (ours) return { alreadyPresent: true, remoteId: ours.packageReferenceId };
    }
    throw err;
  }
  return { alreadyPresent: false, remoteId: reference };
}
