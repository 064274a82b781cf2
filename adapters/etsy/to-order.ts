import { accountId } from '../../db/accounts.ts';
import { BadPayloadError } from '../../src/errors.ts';
import { fractionToMinor } from '../../src/money.ts';
import type { Order, OrderItem, OrderStatus, PaymentStatus } from '../types.ts';
import { compactAddress, displayText, parseWire, plainText, unescapeHtml, wireEnum } from '../wire-values.ts';
import { etsyReceiptSchema, type EtsyMoney, type EtsyReceipt, type EtsyTransaction } from './wire.ts';

/**
 * Etsy's personalization arrives as transaction variations with property_id 54. Since the 2026
 * personalization tools a listing may ask up to five questions: several such variations, each named
 * by the seller (formatted_name), an upload's answer being a URL. Older payloads are recognised by
 * the name "Personalization" too.
 */
const PERSONALIZATION_PROPERTY_ID = 54;
const PERSONALIZATION = /^personali[sz]ation$/i;

/** Epoch seconds to ISO 8601; a value no date can have (negative, NaN, past year 275760) names its field. */
const iso = (epochSeconds: number, field: string) => {
  const at = new Date(epochSeconds * 1000);
  if (!Number.isFinite(epochSeconds) || epochSeconds <= 0 || Number.isNaN(at.getTime())) throw new BadPayloadError(field, `"${epochSeconds}" is not a timestamp`);
  return at.toISOString();
};

function money(m: EtsyMoney | undefined, field: string): number {
  if (!m || typeof m.amount !== 'number' || typeof m.divisor !== 'number' || !m.currency_code) {
    throw new BadPayloadError(field, 'missing or not an Etsy Money object');
  }
  return fractionToMinor(m.amount, m.divisor, m.currency_code, field);
}

/**
 * The receipt statuses Etsy defines (lower case there; live receipts say "Paid", "Fully Refunded"), and
 * what each settles: a cancellation or full refund ends the order, the others leave it to the flags.
 */
const RECEIPT_STATUS = {
  open: 'open',
  'payment processing': 'open',
  paid: 'open',
  completed: 'open',
  'partially refunded': 'partially_refunded',
  'fully refunded': 'refunded',
  canceled: 'cancelled',
} as const;

export function etsyStatus(r: EtsyReceipt): { status: OrderStatus; paymentStatus: PaymentStatus } {
  const receipt = wireEnum(r.status, RECEIPT_STATUS, 'status');
  if (receipt === 'cancelled') return { status: 'cancelled', paymentStatus: r.is_paid ? 'paid' : 'pending' };
  if (receipt === 'refunded') return { status: 'cancelled', paymentStatus: 'refunded' };
  const paymentStatus: PaymentStatus = receipt === 'partially_refunded' ? 'partially_refunded' : r.is_paid ? 'paid' : 'pending';
  if (!r.is_paid) return { status: 'pending', paymentStatus };
  // A receipt marked shipped without any shipment record is shipped: the seller did it by hand.
  if (r.is_shipped) return { status: 'shipped', paymentStatus };
  return { status: (r.shipments?.length ?? 0) > 0 ? 'partially_shipped' : 'unshipped', paymentStatus };
}

function toItem(t: EtsyTransaction, index: number, currency: string, receiptShipped: boolean): OrderItem {
  const field = `transactions[${index}]`;
  if (!t || typeof t !== 'object') throw new BadPayloadError(field, 'is not a transaction');
  if (!Number.isSafeInteger(t.transaction_id)) throw new BadPayloadError(`${field}.transaction_id`, 'missing or not an id');
  if (!Number.isSafeInteger(t.quantity) || t.quantity < 1) throw new BadPayloadError(`${field}.quantity`, `"${t.quantity}" is not a positive integer`);
  if (t.price?.currency_code && t.price.currency_code !== currency) {
    throw new BadPayloadError(`${field}.price.currency_code`, `${t.price.currency_code} differs from the receipt's ${currency}`);
  }
  const answers: { name: string; text: string }[] = [];
  const variations: Record<string, string> = {};
  for (const v of t.variations ?? []) {
    if (!v) continue;
    // What the buyer typed, unescaped (Etsy sends "Mom&#39;s"), with only the edges trimmed: it gets printed.
    const text = unescapeHtml(v.formatted_value)?.trim() ?? '';
    const name = displayText(v.formatted_name);
    if (v.property_id === PERSONALIZATION_PROPERTY_ID || (name && PERSONALIZATION.test(name))) {
      // A seller may leave a question unnamed: the answer still gets printed.
      if (text) answers.push({ name: name ?? 'Personalization', text });
    } else if (name) variations[name] = text;
  }
  // One answer verbatim; several as "question: answer" lines (as Amazon Custom's several texts are).
  const personalization = answers.length === 1 ? answers[0]!.text : answers.length ? answers.map((a) => `${a.name}: ${a.text}`).join('\n') : undefined;
  const sku = t.sku?.trim();
  return {
    externalLineId: String(t.transaction_id),
    sku: sku || `ETSY-${t.listing_id ?? 'unknown'}-${t.product_id ?? 'unknown'}`,
    skuFallback: sku ? undefined : `no SKU on the listing: listing ${t.listing_id ?? '?'}, product ${t.product_id ?? '?'}`,
    title: displayText(t.title) ?? '(untitled listing)',
    quantity: t.quantity,
    quantityShipped: receiptShipped || t.shipped_timestamp ? t.quantity : 0,
    unitPriceMinor: money(t.price, `${field}.price`),
    personalization,
    variations: Object.keys(variations).length ? variations : undefined,
    listingId: t.listing_id != null ? String(t.listing_id) : undefined,
    extra: t.product_id != null ? { productId: String(t.product_id) } : undefined,
  };
}

/**
 * Where an Etsy shop receipt becomes an Order. Pure: throws BadPayloadError naming the field
 * when the receipt cannot be trusted (the poll quarantines it and goes on).
 */
export function etsyReceiptToOrder(raw: EtsyReceipt, shopId: string): Order {
  // The schema checks the type of every field read below; the interface documents them.
  const r = parseWire(etsyReceiptSchema, raw) as unknown as EtsyReceipt;
  if (!r.grandtotal.currency_code) throw new BadPayloadError('grandtotal.currency_code', 'missing');
  const currency = r.grandtotal.currency_code;
  const { status, paymentStatus } = etsyStatus(r);
  const shipDates = r.transactions.flatMap((t, i) =>
    typeof t.expected_ship_date === 'number' && t.expected_ship_date > 0 ? [iso(t.expected_ship_date, `transactions[${i}].expected_ship_date`)] : [],
  );

  // Etsy withholds the address from apps not allowed to read it: that is "unavailable", not blank.
  const hasAddress = Boolean(r.first_line?.trim() || r.formatted_address?.trim());
  const address = hasAddress
    ? compactAddress({
        name: unescapeHtml(r.name),
        line1: unescapeHtml(r.first_line),
        line2: unescapeHtml(r.second_line),
        city: unescapeHtml(r.city),
        region: unescapeHtml(r.state),
        postalCode: unescapeHtml(r.zip),
        countryCode: r.country_iso,
      })
    : undefined;

  return {
    platform: 'etsy',
    accountId: accountId('etsy', shopId),
    externalId: String(r.receipt_id),
    status,
    paymentStatus,
    purchasedAt: iso(r.created_timestamp, 'created_timestamp'),
    updatedAt: iso(r.updated_timestamp, 'updated_timestamp'),
    shipBy: shipDates.length ? shipDates.sort()[0] : undefined,
    currency,
    totalMinor: money(r.grandtotal, 'grandtotal'),
    // Before the discount, as on every platform: Etsy's own `subtotal` is after it.
    subtotalMinor: r.total_price ? money(r.total_price, 'total_price') : r.subtotal ? money(r.subtotal, 'subtotal') : undefined,
    discountMinor: r.discount_amt ? money(r.discount_amt, 'discount_amt') || undefined : undefined,
    shippingMinor: r.total_shipping_cost ? money(r.total_shipping_cost, 'total_shipping_cost') : undefined,
    taxMinor: r.total_tax_cost ? money(r.total_tax_cost, 'total_tax_cost') : undefined,
    buyerName: displayText(r.name),
    buyerEmail: plainText(r.buyer_email),
    shippingAddress: address,
    addressUnavailable: !hasAddress,
    giftMessage: r.is_gift ? displayText(r.gift_message) : undefined,
    buyerNote: displayText(r.message_from_buyer),
    items: r.transactions.map((t, i) => toItem(t, i, currency, status === 'shipped')),
  };
}
