import type { Order } from '../adapters/types.ts';
import { sealBytes, sealText, type DataKeys } from './crypto.ts';
import { packPayload } from './payload-codec.ts';

/** What of an order is personal data: stored sealed, opened only where it is shown (orderPersonalData). */
export type PersonalFields = Pick<Order, 'buyerName' | 'buyerEmail' | 'buyerUsername' | 'shippingAddress' | 'giftMessage' | 'buyerNote'>;

export const personalFieldsOf = (o: Order): PersonalFields => ({
  buyerName: o.buyerName,
  buyerEmail: o.buyerEmail,
  buyerUsername: o.buyerUsername,
  shippingAddress: o.shippingAddress,
  giftMessage: o.giftMessage,
  buyerNote: o.buyerNote,
});

/** An order's personal columns and raw payload as they are stored: sealed (AES-256-GCM), the payload packed first. */
export interface SealedOrder {
  buyer_name: string | null;
  buyer_email: string | null;
  buyer_username: string | null;
  shipping_address: string | null;
  gift_message: string | null;
  buyer_note: string | null;
  payload: Buffer;
}

/** Pure, so the order sealer's thread runs it as the poll's own thread would. */
export function sealOrder(keys: DataKeys, personal: PersonalFields, raw: unknown): SealedOrder {
  return {
    buyer_name: sealText(keys, personal.buyerName, 'orders.buyer_name'),
    buyer_email: sealText(keys, personal.buyerEmail, 'orders.buyer_email'),
    buyer_username: sealText(keys, personal.buyerUsername, 'orders.buyer_username'),
    shipping_address: sealText(keys, personal.shippingAddress == null ? null : JSON.stringify(personal.shippingAddress), 'orders.shipping_address'),
    gift_message: sealText(keys, personal.giftMessage, 'orders.gift_message'),
    buyer_note: sealText(keys, personal.buyerNote, 'orders.buyer_note'),
    payload: sealBytes(keys, packPayload(raw), 'order_payloads.payload'),
  };
}
