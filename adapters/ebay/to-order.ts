import { accountId } from '../../db/accounts.ts';
import { BadPayloadError } from '../../src/errors.ts';
import { compactAddress, isoDateTime, parseWire, plainText, wireEnum } from '../wire-values.ts';
import { decimalToMinor } from '../../src/money.ts';
import type { Order, OrderItem, OrderStatus, PaymentStatus } from '../types.ts';
import { ebayOrderSchema, type EbayAmount, type EbayLineItem, type EbayOrder } from './wire.ts';

/** eBay has no personalization field; listings that ask for text carry it as a variation aspect. */
const PERSONALIZATION = /^personali[sz](e|ation)/i;

const PAYMENT: Record<string, PaymentStatus> = {
  PAID: 'paid',
  PENDING: 'pending',
  FAILED: 'failed',
  FULLY_REFUNDED: 'refunded',
  PARTIALLY_REFUNDED: 'partially_refunded',
};
const FULFILLMENT: Record<string, OrderStatus> = { NOT_STARTED: 'unshipped', IN_PROGRESS: 'partially_shipped', FULFILLED: 'shipped' };
/** cancelStatus.cancelState: does the order stand, is a cancellation under way, is it cancelled. */
const CANCEL_STATE = { NONE_REQUESTED: 'none', IN_PROGRESS: 'requested', CANCELED: 'cancelled' } as const;
const CANCEL_REQUEST_STATE = { REQUESTED: true, REJECTED: false, COMPLETED: false } as const;
const LINE_FULFILLMENT = { NOT_STARTED: false, IN_PROGRESS: false, FULFILLED: true } as const;

function money(a: EbayAmount | undefined, currency: string, field: string): number {
  if (!a || typeof a.value !== 'string') throw new BadPayloadError(field, 'missing or not an eBay Amount');
  if (a.currency !== currency) throw new BadPayloadError(`${field}.currency`, `${a.currency ?? '(none)'} differs from the order's ${currency}`);
  return decimalToMinor(a.value, currency, `${field}.value`);
}
const optionalMoney = (a: EbayAmount | undefined, currency: string, field: string) => (a ? money(a, currency, field) : undefined);

/** The normalized status and payment status; a cancel request is a flag, not a status. */
export function ebayStatus(o: EbayOrder): { status: OrderStatus; paymentStatus: PaymentStatus; flags: string[] } {
  const paymentStatus = wireEnum(o.orderPaymentStatus, PAYMENT, 'orderPaymentStatus');
  const fulfilled = wireEnum(o.orderFulfillmentStatus, FULFILLMENT, 'orderFulfillmentStatus');
  const cancelState = o.cancelStatus?.cancelState == null ? 'none' : wireEnum(o.cancelStatus.cancelState, CANCEL_STATE, 'cancelStatus.cancelState');
  const flags: string[] = [];
  const openRequest = (o.cancelStatus?.cancelRequests ?? []).some(
    (r, i) => r?.cancelRequestState != null && wireEnum(r.cancelRequestState, CANCEL_REQUEST_STATE, `cancelStatus.cancelRequests[${i}].cancelRequestState`),
  );
  const requested = cancelState === 'requested' || openRequest;
  if (cancelState === 'cancelled' || paymentStatus === 'refunded') return { status: 'cancelled', paymentStatus, flags };
  if (requested) flags.push('cancel_requested');
  if (paymentStatus === 'pending' || paymentStatus === 'failed') return { status: 'pending', paymentStatus, flags };
  return { status: fulfilled, paymentStatus, flags };
}

function toItem(l: EbayLineItem, index: number, currency: string): OrderItem {
  const field = `lineItems[${index}]`;
  if (!l || typeof l !== 'object') throw new BadPayloadError(field, 'is not a line item');
  if (typeof l.lineItemId !== 'string' || !l.lineItemId) throw new BadPayloadError(`${field}.lineItemId`, 'missing');
  if (!Number.isSafeInteger(l.quantity) || l.quantity! < 1) throw new BadPayloadError(`${field}.quantity`, `"${l.quantity}" is not a positive integer`);
  const quantity = l.quantity!;
  // lineItemCost is the line's price before discounts: the unit price times the quantity.
  const lineCost = money(l.lineItemCost, currency, `${field}.lineItemCost`);
  let personalization: string | undefined;
  const variations: Record<string, string> = {};
  for (const aspect of l.variationAspects ?? []) {
    if (!aspect?.name) continue;
    if (PERSONALIZATION.test(aspect.name)) personalization = aspect.value; // verbatim: it gets printed
    else variations[aspect.name] = aspect.value ?? '';
  }
  const sku = l.sku?.trim();
  const legacy = [l.legacyItemId, l.legacyVariationId].filter(Boolean).join('-');
  if (!sku && !legacy) throw new BadPayloadError(`${field}.sku`, 'missing, and no legacyItemId to identify the listing');
  const extra: Record<string, unknown> = {};
  if (lineCost % quantity !== 0) extra.lineItemCostMinor = lineCost;
  if (l.legacyVariationId) extra.legacyVariationId = l.legacyVariationId;
  if (l.giftDetails?.message) extra.giftMessage = l.giftDetails.message;
  if (l.lineItemFulfillmentInstructions?.guaranteedDelivery) extra.guaranteedDelivery = true;
  return {
    externalLineId: l.lineItemId,
    sku: sku || `EBAY-${legacy}`,
    skuFallback: sku ? undefined : `no SKU on the listing: legacy item ${l.legacyItemId ?? '?'}${l.legacyVariationId ? `, variation ${l.legacyVariationId}` : ''}`,
    title: plainText(l.title) ?? '(untitled listing)',
    quantity,
    quantityShipped:
      l.lineItemFulfillmentStatus != null && wireEnum(l.lineItemFulfillmentStatus, LINE_FULFILLMENT, `${field}.lineItemFulfillmentStatus`) ? quantity : 0,
    unitPriceMinor: Math.round(lineCost / quantity),
    personalization,
    variations: Object.keys(variations).length ? variations : undefined,
    listingId: l.legacyItemId,
    extra: Object.keys(extra).length ? extra : undefined,
  };
}

/**
 * Where an eBay order becomes an Order. Pure: throws BadPayloadError naming the field when the
 * order cannot be trusted (the poll quarantines it and goes on with the page).
 */
export interface EbayNormalizeOptions {
  /** eBay sends this app U.S. buyers' immutable user ids in `buyer.username` (EBAY_US_USERNAMES_REPLACED). */
  usUsernamesReplaced?: boolean;
}

/**
 * What `buyer.username` holds. eBay publishes no format for the immutable user id, so it cannot be
 * told from a name by its look: it is a user id exactly when this app is one eBay replaces names for
 * and the buyer is a U.S. user (tax or registration country, else the ship-to country; unknown counts
 * as U.S., so a name is never claimed that may be an id).
 */
function usernameKind(o: EbayOrder, opts: EbayNormalizeOptions): 'username' | 'user_id' {
  if (!opts.usUsernamesReplaced) return 'username';
  const country =
    o.buyer?.taxAddress?.countryCode ??
    o.buyer?.buyerRegistrationAddress?.contactAddress?.countryCode ??
    o.fulfillmentStartInstructions?.find((f) => f?.shippingStep?.shipTo)?.shippingStep?.shipTo?.contactAddress?.countryCode;
  return country === undefined || country.toUpperCase() === 'US' ? 'user_id' : 'username';
}

export function ebayOrderToOrder(raw: EbayOrder, sellerId: string, opts: EbayNormalizeOptions = {}): Order {
  // The schema checks the type of every field read below; the interface documents them.
  const o = parseWire(ebayOrderSchema, raw) as unknown as EbayOrder;
  if (!o.orderId) throw new BadPayloadError('orderId', 'missing');
  if (!Array.isArray(o.lineItems) || o.lineItems.length === 0) throw new BadPayloadError('lineItems', 'missing or empty');
  const currency = o.pricingSummary?.total?.currency;
  if (!currency) throw new BadPayloadError('pricingSummary.total.currency', 'missing');
  const { status, paymentStatus, flags } = ebayStatus(o);
  const shipBys = o.lineItems.flatMap((l, i) => {
    const d = l?.lineItemFulfillmentInstructions?.shipByDate;
    return d === undefined ? [] : [isoDateTime(d, `lineItems[${i}].lineItemFulfillmentInstructions.shipByDate`)];
  });

  // Only shipping instructions carry an address; eBay removes it from old orders.
  const shipTo = o.fulfillmentStartInstructions?.find((f) => f?.shippingStep?.shipTo)?.shippingStep?.shipTo;
  const a = shipTo?.contactAddress;
  // An `ebay:12aB3cd` code in addressLine1 (street in addressLine2) routes the parcel: eBay says never
  // to edit or remove it, so it stays line 1 and is printed on the label as it is.
  const address = a?.addressLine1?.trim()
    ? compactAddress({
        name: shipTo?.fullName,
        line1: a.addressLine1,
        line2: a.addressLine2,
        line3: shipTo?.companyName,
        city: a.city,
        region: a.stateOrProvince,
        postalCode: a.postalCode,
        countryCode: a.countryCode,
        phone: shipTo?.primaryPhone?.phoneNumber,
      })
    : undefined;
  const items = o.lineItems.map((l, i) => toItem(l, i, currency));
  const p = o.pricingSummary!;

  return {
    platform: 'ebay',
    accountId: accountId('ebay', sellerId),
    externalId: o.orderId,
    status,
    paymentStatus,
    purchasedAt: isoDateTime(o.creationDate, 'creationDate'),
    updatedAt: isoDateTime(o.lastModifiedDate, 'lastModifiedDate'),
    shipBy: shipBys.length ? shipBys.sort()[0] : undefined,
    currency,
    totalMinor: money(p.total, currency, 'pricingSummary.total'),
    subtotalMinor: optionalMoney(p.priceSubtotal, currency, 'pricingSummary.priceSubtotal'),
    // eBay sends discounts negative ("-13.24"), on the items and on delivery.
    discountMinor:
      -((optionalMoney(p.priceDiscount, currency, 'pricingSummary.priceDiscount') ?? 0) + (optionalMoney(p.deliveryDiscount, currency, 'pricingSummary.deliveryDiscount') ?? 0)) ||
      undefined,
    shippingMinor: optionalMoney(p.deliveryCost, currency, 'pricingSummary.deliveryCost'),
    taxMinor: optionalMoney(p.tax, currency, 'pricingSummary.tax'),
    buyerName: plainText(shipTo?.fullName),
    buyerEmail: plainText(shipTo?.email),
    buyerUsername: o.buyer?.username || undefined,
    buyerUsernameKind: o.buyer?.username ? usernameKind(o, opts) : undefined,
    shippingAddress: address,
    addressUnavailable: !address,
    giftMessage: items.map((i) => i.extra?.giftMessage).find((m): m is string => typeof m === 'string'),
    buyerNote: plainText(o.buyerCheckoutNotes),
    flags: flags.length ? flags : undefined,
    items,
  };
}
