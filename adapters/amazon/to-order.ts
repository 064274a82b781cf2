import { accountId } from '../../db/accounts.ts';
import { BadPayloadError } from '../../src/errors.ts';
import { compactAddress, isoDateTime, parseWire, plainText, wireEnum } from '../wire-values.ts';
import { decimalToMinor } from '../../src/money.ts';
import { CUSTOMIZATION_PENDING, type Address, type Order, type OrderItem, type OrderStatus, type PaymentStatus } from '../types.ts';
import { amazonOrderSchema, type AmazonCustomization, type AmazonMoney, type AmazonOrder, type AmazonOrderItem, type AmazonRawOrder, type FulfillmentStatus } from './wire.ts';

/** Each marketplace's currency, for orders Amazon sends without any amount (PENDING ones often). */
const MARKETPLACE_CURRENCY: Record<string, string> = {
  ATVPDKIKX0DER: 'USD',
  A2EUQ1WTGCTBG2: 'CAD',
  A1AM78C64UM0Y8: 'MXN',
  A2Q3Y263D00KWC: 'BRL',
  A1F83G8C2ARO7P: 'GBP',
  A1PA6795UKMFR9: 'EUR',
  A13V1IB3VIYZZH: 'EUR',
  APJ6JRA9NG5V4: 'EUR',
  A1RKKUPIHCS9HS: 'EUR',
  A1805IZSGTT6HS: 'EUR',
  AMEN7PMS3EDWL: 'EUR',
  A2NODRKZP88ZB9: 'SEK',
  A1C3SOZRARQ6R3: 'PLN',
  A33AVAJ2PDY3EV: 'TRY',
  A1VC38T7YXB528: 'JPY',
  A39IBJ37TRP1C6: 'AUD',
  A19VAU5U5O7RUS: 'SGD',
  A21TJRUUN4KGV: 'INR',
  A2VIGQ35RCS4UG: 'AED',
  A17E79C6D8DWNP: 'SAR',
};

const STATUS: Record<FulfillmentStatus, { status: OrderStatus; paymentStatus: PaymentStatus; flag?: string }> = {
  // Not yet paid (PENDING_AVAILABILITY: a pre-order before its release): stored, never printed.
  PENDING_AVAILABILITY: { status: 'pending', paymentStatus: 'pending' },
  PENDING: { status: 'pending', paymentStatus: 'pending' },
  UNSHIPPED: { status: 'unshipped', paymentStatus: 'paid' },
  PARTIALLY_SHIPPED: { status: 'partially_shipped', paymentStatus: 'paid' },
  SHIPPED: { status: 'shipped', paymentStatus: 'paid' },
  CANCELLED: { status: 'cancelled', paymentStatus: 'unknown' },
  // Only Amazon-fulfilled orders from outside Amazon's site: nothing for the shop to make.
  UNFULFILLABLE: { status: 'cancelled', paymentStatus: 'unknown', flag: 'unfulfillable' },
};

export function amazonStatus(fulfillmentStatus: unknown) {
  return wireEnum(fulfillmentStatus, STATUS, 'fulfillment.fulfillmentStatus');
}

const FULFILLED_BY = { MERCHANT: false, AMAZON: true } as const;

function money(m: AmazonMoney | undefined, currency: string, field: string): number {
  if (!m || typeof m.amount !== 'string') throw new BadPayloadError(field, 'missing or not an Amazon Money object');
  if (m.currencyCode !== currency) throw new BadPayloadError(`${field}.currencyCode`, `${m.currencyCode} differs from the order's ${currency}`);
  return decimalToMinor(m.amount, currency, `${field}.amount`);
}

function orderCurrency(o: AmazonOrder): string {
  const code =
    o.proceeds?.grandTotal?.currencyCode ??
    o.orderItems.find((i) => i?.product?.price?.unitPrice)?.product.price?.unitPrice?.currencyCode ??
    MARKETPLACE_CURRENCY[o.salesChannel?.marketplaceId ?? ''];
  if (!code) throw new BadPayloadError('proceeds.grandTotal.currencyCode', `missing, and marketplace ${o.salesChannel?.marketplaceId ?? '(none)'} has no known currency`);
  return code;
}

/** One text verbatim; several as "label: text" lines, each also kept separately in `extra`. */
function personalizationOf(c: AmazonCustomization | undefined): string | undefined {
  const texts = c?.texts ?? [];
  if (texts.length === 0) return undefined;
  if (texts.length === 1) return texts[0]!.text;
  return texts.map((t) => `${t.label}: ${t.text}`).join('\n');
}

/** How many of the line Amazon reports shipped: a whole number within the line, or the status says. */
function fulfilledOf(item: AmazonOrderItem, field: string, shipped: boolean): number {
  const n = item.fulfillment?.quantityFulfilled;
  if (n === undefined || n === null) return shipped ? item.quantityOrdered : 0;
  if (!Number.isSafeInteger(n) || n < 0 || n > item.quantityOrdered) {
    throw new BadPayloadError(`${field}.fulfillment.quantityFulfilled`, `"${n}" is not a whole number between 0 and ${item.quantityOrdered}`);
  }
  return n;
}

function toItem(item: AmazonOrderItem, index: number, shipped: boolean, currency: string, priced: boolean, customizations: AmazonRawOrder['customizations']): OrderItem {
  const field = `orderItems[${index}]`;
  if (!item || typeof item.orderItemId !== 'string' || !item.orderItemId) throw new BadPayloadError(`${field}.orderItemId`, 'missing');
  if (!Number.isSafeInteger(item.quantityOrdered) || item.quantityOrdered < 0) {
    throw new BadPayloadError(`${field}.quantityOrdered`, `"${String(item.quantityOrdered)}" is not a whole number`);
  }
  if (!item.product || typeof item.product !== 'object') throw new BadPayloadError(`${field}.product`, 'missing');
  const p = item.product;
  const unitPrice = p.price?.unitPrice;
  if (!unitPrice && priced) throw new BadPayloadError(`${field}.product.price.unitPrice`, 'missing');
  const customizedUrl = p.customization?.customizedUrl;
  const customization = customizations?.[item.orderItemId];
  if (customizedUrl && customization?.error) throw new BadPayloadError(`${field}.product.customization.customizedUrl`, customization.error);
  const gift = item.fulfillment?.packing?.giftOption;
  const sku = p.sellerSku?.trim();
  const extra: Record<string, unknown> = {
    customizedUrl,
    customizationPending: customizedUrl ? customization?.pending : undefined,
    customizationTexts: (customization?.texts?.length ?? 0) > 1 ? customization!.texts : undefined,
    giftMessage: gift?.giftMessage,
    giftWrapLevel: gift?.giftWrapLevel,
    cancelRequested: item.cancellation?.cancellationRequest ? item.cancellation.cancellationRequest.cancelReason ?? true : undefined,
  };
  for (const k of Object.keys(extra)) if (extra[k] === undefined) delete extra[k];
  return {
    externalLineId: item.orderItemId,
    sku: sku || `AMAZON-${p.asin ?? item.orderItemId}`,
    skuFallback: sku ? undefined : `no seller SKU on the line: ASIN ${p.asin ?? '?'}`,
    title: plainText(p.title) ?? '(untitled listing)',
    quantity: item.quantityOrdered,
    quantityShipped: fulfilledOf(item, field, shipped),
    unitPriceMinor: unitPrice ? money(unitPrice, currency, `${field}.product.price.unitPrice`) : 0,
    personalization: personalizationOf(customization),
    variations: customization?.options,
    listingId: p.asin,
    extra: Object.keys(extra).length ? extra : undefined,
  };
}

function address(o: AmazonOrder): Address | undefined {
  const a = o.recipient?.deliveryAddress;
  // Without the Direct-to-Consumer Delivery role Amazon leaves out the name and street lines.
  if (!a?.addressLine1?.trim()) return undefined;
  return compactAddress({
    name: a.name,
    line1: a.addressLine1,
    line2: a.addressLine2,
    line3: a.addressLine3,
    city: a.city,
    region: a.stateOrRegion,
    postalCode: a.postalCode,
    countryCode: a.countryCode,
    phone: a.phone,
  });
}

const breakdown = (o: AmazonOrder, type: string, currency: string) => {
  const b = o.proceeds?.breakdowns?.find((x) => x?.type === type);
  return b ? money(b.subtotal, currency, `proceeds.breakdowns[${type}].subtotal`) : undefined;
};

/**
 * Where an Amazon order (Orders API 2026-01-01) becomes an Order. Pure: the customization files
 * were read by the fetch and travel in the raw record. Throws BadPayloadError naming the field when
 * the order cannot be trusted (the poll quarantines it and goes on).
 */
export function amazonOrderToOrder(raw: AmazonRawOrder, sellerId: string): Order {
  // The schema checks the type of every field read below; the interface documents them.
  const o = parseWire(amazonOrderSchema, raw?.order) as unknown as AmazonOrder;
  if (!o.orderId) throw new BadPayloadError('orderId', 'missing');
  const { status, paymentStatus, flag } = amazonStatus(o.fulfillment?.fulfillmentStatus);
  const currency = orderCurrency(o);
  const priced = status !== 'pending' && status !== 'cancelled';
  const items = o.orderItems.map((item, i) => toItem(item, i, status === 'shipped', currency, priced, raw.customizations));
  const itemsTotal = items.reduce((sum, i) => sum + i.unitPriceMinor * i.quantity, 0);
  const gifts = [...new Set(o.orderItems.map((i) => i?.fulfillment?.packing?.giftOption?.giftMessage).filter((m): m is string => !!m))];
  const shippingAddress = address(o);
  const flags = [
    flag,
    status !== 'cancelled' && o.orderItems.some((i) => i?.cancellation?.cancellationRequest) ? 'cancel_requested' : undefined,
    // Only work still to be made waits for its text; a cancelled, shipped or Amazon-fulfilled order
    // (or an unpaid one, re-read when it is paid) needs no re-read.
    (status === 'unshipped' || status === 'partially_shipped') && o.fulfillment?.fulfilledBy !== 'AMAZON' && items.some((i) => i.extra?.customizationPending)
      ? CUSTOMIZATION_PENDING
      : undefined,
    o.fulfillment?.fulfilledBy != null && wireEnum(o.fulfillment.fulfilledBy, FULFILLED_BY, 'fulfillment.fulfilledBy') ? 'fulfilled_by_amazon' : undefined,
  ].filter((f): f is string => !!f);

  return {
    platform: 'amazon',
    accountId: accountId('amazon', sellerId),
    externalId: o.orderId,
    status,
    paymentStatus,
    purchasedAt: isoDateTime(o.createdTime, 'createdTime'),
    updatedAt: isoDateTime(o.lastUpdatedTime, 'lastUpdatedTime'),
    shipBy: o.fulfillment?.shipByWindow?.latestDateTime ? isoDateTime(o.fulfillment.shipByWindow.latestDateTime, 'fulfillment.shipByWindow.latestDateTime') : undefined,
    currency,
    totalMinor: o.proceeds?.grandTotal ? money(o.proceeds.grandTotal, currency, 'proceeds.grandTotal') : itemsTotal,
    subtotalMinor: breakdown(o, 'ITEM', currency) ?? itemsTotal,
    shippingMinor: breakdown(o, 'SHIPPING', currency),
    taxMinor: breakdown(o, 'TAX', currency),
    buyerName: plainText(o.buyer?.buyerName),
    buyerEmail: plainText(o.buyer?.buyerEmail),
    shippingAddress,
    addressUnavailable: !shippingAddress,
    giftMessage: gifts.length ? gifts.join('\n') : undefined,
    flags: flags.length ? flags : undefined,
    items,
  };
}
