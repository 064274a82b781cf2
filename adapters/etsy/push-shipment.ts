import { ManualActionRequired, PermanentRemoteError, PermissionDeniedError, TransientError } from '../../src/errors.ts';
import { sameEnum } from '../wire-values.ts';
import type { ShipmentPush, ShipmentPushResult } from '../types.ts';
import type { EtsyClient } from './client.ts';
import type { EtsyReceipt } from './wire.ts';

const sameTracking = (a: string, b: string) => a.replace(/\s+/g, '').toUpperCase() === b.replace(/\s+/g, '').toUpperCase();

async function readReceipt(client: EtsyClient, shopId: string, receiptId: string) {
  return client.request<EtsyReceipt>('getShopReceipt', { method: 'GET', url: `/v3/application/shops/${shopId}/receipts/${receiptId}` });
}

const findShipment = (r: EtsyReceipt, tracking: string) => (r.shipments ?? []).find((s) => sameTracking(s.tracking_code ?? '', tracking));

/**
 * createReceiptShipment, exactly once. Every upload e-mails the buyer, so the receipt's shipments
 * are read first; and since Etsy has answered 200 to uploads that never applied, the receipt is
 * read back afterwards to confirm the tracking code is really there.
 */
export async function pushEtsyShipment(client: EtsyClient, shopId: string, s: ShipmentPush, carrierCode: string): Promise<ShipmentPushResult> {
  const before = await readReceipt(client, shopId, s.orderExternalId);
  const existing = findShipment(before, s.trackingNumber);
  if (existing) return { alreadyPresent: true, remoteId: existing.receipt_shipping_id != null ? String(existing.receipt_shipping_id) : undefined };
  if (sameEnum(before.status, 'canceled') || sameEnum(before.status, 'fully refunded')) {
    throw new PermanentRemoteError(`Etsy receipt ${s.orderExternalId} is ${before.status}; tracking was not uploaded`);
  }

  const form = new URLSearchParams({ tracking_code: s.trackingNumber, carrier_name: carrierCode, send_bcc: 'false' });
  if (s.noteToBuyer) form.set('note_to_buyer', s.noteToBuyer);
  try {
    await client.request<EtsyReceipt>('createReceiptShipment', {
      method: 'POST',
      url: `/v3/application/shops/${shopId}/receipts/${s.orderExternalId}/tracking`,
      data: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }, { creates: true });
  } catch (err) {
    // Etsy withdrew tracking upload from new personal API keys in several countries, and a token
    // without transactions_w cannot upload either: a person must type it into Etsy. A refused API key
    // or shared secret (ConfigurationError) is the app's setting to fix, never a to-do for the shop.
    if (err instanceof PermissionDeniedError) {
      throw new ManualActionRequired(
        `enter tracking ${s.trackingNumber} (${carrierCode}) for receipt ${s.orderExternalId} in Etsy`,
        `Etsy does not let this app upload tracking (${err.message})`,
        { cause: err },
      );
    }
    throw err;
  }

  const after = await readReceipt(client, shopId, s.orderExternalId);
  const created = findShipment(after, s.trackingNumber);
  if (!created) {
    throw new TransientError(`Etsy accepted tracking ${s.trackingNumber} for receipt ${s.orderExternalId} but the receipt does not show it; retrying`);
  }
  return { alreadyPresent: false, remoteId: created.receipt_shipping_id != null ? String(created.receipt_shipping_id) : undefined };
}
