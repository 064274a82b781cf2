import { PermanentRemoteError, ValidationError } from '../../src/errors.ts';
import type { ShipmentPush, ShipmentPushResult } from '../types.ts';
import type { EbayClient } from './client.ts';
import type { EbayShippingFulfillmentDetails, EbayShippingFulfillmentPage } from './wire.ts';

/**
 * eBay takes letters and digits only: no spaces or hyphens "even if they appear on the label".
 * Those two are dropped; anything else is a typo worth a person's look.
 */
export function ebayTrackingNumber(raw: string): string {
  const compact = raw.replace(/[\s-]+/g, '');
  if (!/^[A-Za-z0-9]+$/.test(compact)) throw new ValidationError(`eBay accepts only letters and digits in a tracking number; "${raw}" has other characters`);
  return compact.toUpperCase();
}

async function findFulfillment(client: EbayClient, orderId: string, tracking: string) {
  const page = await client.call<EbayShippingFulfillmentPage>('getShippingFulfillments', (api) => api.sell.fulfillment.getShippingFulfillments(orderId));
  return (page?.fulfillments ?? []).find((f) => (f.shipmentTrackingNumber ?? '').replace(/[\s-]+/g, '').toUpperCase() === tracking);
}

/**
 * createShippingFulfillment, exactly once. A first attempt goes straight out; a retry (an earlier
 * attempt may have reached eBay) first reads the order's fulfillments and stops if the tracking
 * number is already there. eBay names the new fulfillment in the Location header.
 */
export async function pushEbayShipment(client: EbayClient, s: ShipmentPush, carrierCode: string): Promise<ShipmentPushResult> {
  const tracking = ebayTrackingNumber(s.trackingNumber);
  if (s.retry) {
    const existing = await findFulfillment(client, s.orderExternalId, tracking);
    if (existing) return { alreadyPresent: true, remoteId: existing.fulfillmentId };
  }
  if (s.lines.length === 0) throw new ValidationError(`shipment ${s.shipmentId} has no lines to send to eBay`);
  const body: EbayShippingFulfillmentDetails = {
    lineItems: s.lines.map((l) => ({ lineItemId: l.externalLineId, quantity: l.quantity })),
    shippedDate: new Date(s.shippedAt).toISOString(),
    shippingCarrierCode: carrierCode,
    trackingNumber: tracking,
  };
  try {
    const res = await client.call<{ headers: Record<string, string> }>('createShippingFulfillment', (api) =>
      api.sell.fulfillment.api({ returnResponse: true }).createShippingFulfillment(s.orderExternalId, body),
      { creates: true },
    );
    const location = res?.headers?.location;
    return { alreadyPresent: false, remoteId: location ? decodeURIComponent(location.split('/').pop()!) : tracking };
  } catch (err) {
    // A conflict usually means the same package was entered in eBay by hand meanwhile.
    if (err instanceof PermanentRemoteError && /\(409\)/.test(err.message)) {
      const existing = await findFulfillment(client, s.orderExternalId, tracking);
      if (existing) return { alreadyPresent: true, remoteId: existing.fulfillmentId };
    }
    throw err;
  }
}
