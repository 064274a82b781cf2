import type { EtsyMoney, EtsyReceipt } from '../../adapters/etsy/wire.ts';
import { orderTotals, type SandboxOrder } from '../generator.ts';

/** Etsy sends listing titles, variations and buyer text HTML-escaped, the apostrophe as &#39;. */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escaped = <T extends string | null | undefined>(text: T): T => (typeof text === 'string' ? (text.replace(/[&<>"']/g, (c) => ESCAPES[c]!) as T) : text);

/** Live receipts carry the status capitalised, word by word ("Payment Processing"). */
const STATUS = { cancelled: 'Canceled', shipped: 'Completed', paid: 'Paid', unpaid: 'Payment Processing' } as const;

const money = (minor: number, o: SandboxOrder): EtsyMoney => ({ amount: minor, divisor: 10 ** o.exponent, currency_code: o.currency });
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * Etsy withholds the address from apps without a preferred partnership in some regions: the fields
 * come back empty (rhysnhall/etsy-php-sdk#44). One receipt in ten here, chosen by id.
 */
const addressWithheld = (o: SandboxOrder) => o.numericId % 10 === 0;

/** A sandbox order as Etsy's ShopReceipt (components/schemas/ShopReceipt), shaped as live receipts are. */
export function renderEtsyReceipt(o: SandboxOrder, shopOwnerId = 555_001): EtsyReceipt & Record<string, unknown> {
  const totals = orderTotals(o);
  const shipped = o.state === 'shipped';
  const withheld = addressWithheld(o);
  return {
    receipt_id: o.numericId,
    receipt_type: 0,
    seller_user_id: shopOwnerId,
    seller_email: 'shop@example.com',
    buyer_user_id: 700_000 + (o.numericId % 100_000),
    buyer_email: o.buyer.email,
    name: escaped(o.address.name),
    first_line: withheld ? '' : escaped(o.address.line1),
    second_line: withheld ? null : (escaped(o.address.line2) ?? null),
    city: withheld ? '' : o.address.city,
    state: withheld ? null : o.address.region,
    zip: withheld ? '' : o.address.postalCode,
    status: STATUS[o.state === 'cancelled' ? 'cancelled' : o.state === 'shipped' ? 'shipped' : o.paid ? 'paid' : 'unpaid'],
    formatted_address: withheld ? '' : escaped(`${o.address.name}\n${o.address.line1}\n${o.address.city}, ${o.address.region} ${o.address.postalCode}\n${o.address.countryCode}`),
    country_iso: withheld ? '' : o.address.countryCode,
    payment_method: 'cc',
    payment_email: '',
    message_from_seller: null,
    message_from_buyer: escaped(o.buyerNote) ?? null,
    message_from_payment: null,
    is_paid: o.paid,
    is_shipped: shipped,
    create_timestamp: seconds(o.createdAt),
    created_timestamp: seconds(o.createdAt),
    update_timestamp: seconds(o.updatedAt),
    updated_timestamp: seconds(o.updatedAt),
    is_gift: Boolean(o.giftMessage),
    gift_message: escaped(o.giftMessage) ?? '',
    grandtotal: money(totals.total, o),
    subtotal: money(totals.subtotal, o),
    total_price: money(totals.subtotal, o),
    total_shipping_cost: money(totals.shipping, o),
    total_tax_cost: money(totals.tax, o),
    total_vat_cost: money(0, o),
    discount_amt: money(0, o),
    gift_wrap_price: money(0, o),
    shipments: o.shipments.map((s) => ({
      receipt_shipping_id: Number(s.id),
      shipment_notification_timestamp: seconds(s.shippedAt),
      carrier_name: s.carrier,
      tracking_code: s.trackingNumber,
    })),
    transactions: o.lines.map((l) => ({
      transaction_id: Number(l.lineId),
      title: escaped(l.title),
      description: null,
      seller_user_id: shopOwnerId,
      buyer_user_id: 700_000 + (o.numericId % 100_000),
      create_timestamp: seconds(o.createdAt),
      created_timestamp: seconds(o.createdAt),
      paid_timestamp: o.paid ? seconds(o.createdAt) : null,
      shipped_timestamp: l.quantityShipped >= l.quantity ? seconds(o.updatedAt) : null,
      quantity: l.quantity,
      listing_image_id: null,
      receipt_id: o.numericId,
      is_digital: false,
      file_data: '',
      listing_id: Number(l.listingId),
      transaction_type: 'listing',
      product_id: Number(l.productId),
      sku: l.sku ?? '',
      price: money(l.unitPriceMinor, o),
      shipping_cost: money(0, o),
      variations: [
        ...Object.entries(l.variations ?? {}).map(([name, value], i) => ({
          property_id: 200 + i,
          value_id: null,
          formatted_name: escaped(name),
          formatted_value: escaped(value),
        })),
        ...(l.personalization !== undefined
          ? [{ property_id: 54, value_id: null, formatted_name: 'Personalization', formatted_value: escaped(l.personalization) }]
          : []),
      ],
      product_data: [],
      shipping_profile_id: null,
      min_processing_days: 1,
      max_processing_days: 3,
      shipping_method: null,
      shipping_upgrade: null,
      expected_ship_date: seconds(o.shipBy),
      buyer_coupon: 0,
      shop_coupon: 0,
    })),
    refunds: [],
  };
}

/** The sandbox shop as Etsy's Shop (components/schemas/Shop): the fields a shop page shows. */
export function renderEtsyShop(shopId: number, shopOwnerId = 555_001, now = Date.now()) {
  const created = Math.floor(now / 1000) - 400 * 86_400;
  return {
    shop_id: shopId,
    user_id: shopOwnerId,
    shop_name: 'SandboxPrintShop',
    create_date: created,
    created_timestamp: created,
    title: 'Personalised prints, made to order',
    announcement: null,
    currency_code: 'USD',
    is_vacation: false,
    vacation_message: null,
    sale_message: null,
    digital_sale_message: null,
    update_date: created,
    updated_timestamp: created,
    listing_active_count: 42,
    digital_listing_count: 0,
    login_name: 'sandboxprintshop',
    accepts_custom_requests: true,
    url: `https://www.etsy.com/shop/SandboxPrintShop`,
    image_url_760x100: null,
    num_favorers: 17,
    languages: ['en-US'],
    icon_url_fullxfull: null,
    is_using_structured_policies: true,
    has_onboarded_structured_policies: true,
    include_dispute_form_link: false,
    is_direct_checkout_onboarded: true,
    is_etsy_payments_onboarded: true,
    is_calculated_eligible: true,
    is_opted_in_to_buyer_promise: false,
    is_shop_us_based: true,
    transaction_sold_count: 1234,
    shipping_from_country_iso: 'US',
    shop_location_country_iso: 'US',
    review_count: 210,
    review_average: 4.9,
  };
}
