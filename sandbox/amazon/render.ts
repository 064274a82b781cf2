import { strToU8, zipSync } from 'fflate';
import type { AmazonOrder, AmazonOrderItem, FulfillmentStatus } from '../../adapters/amazon/wire.ts';
import { minorToDecimal, orderTotals, type SandboxLine, type SandboxOrder } from '../generator.ts';

/**
 * Amazon publishes an order's changes with a delay and refuses a lastUpdatedBefore within two
 * minutes of now. The sandbox reports all its times this much in the past, so an order generated
 * this second is already visible, like a real order placed a few minutes ago.
 */
export const AMAZON_CLOCK_LAG_MS = 130_000;

export const MARKETPLACES: Record<string, { id: string; name: string; countryCode: string; language: string; domain: string }> = {
  USD: { id: 'ATVPDKIKX0DER', name: 'Amazon.com', countryCode: 'US', language: 'en_US', domain: 'www.amazon.com' },
  EUR: { id: 'A1PA6795UKMFR9', name: 'Amazon.de', countryCode: 'DE', language: 'de_DE', domain: 'www.amazon.de' },
  JPY: { id: 'A1VC38T7YXB528', name: 'Amazon.co.jp', countryCode: 'JP', language: 'ja_JP', domain: 'www.amazon.co.jp' },
};

/** The sandbox seller's marketplaces as getMarketplaceParticipations answers (sellers.json, GetMarketplaceParticipationsResponse). */
export const renderMarketplaceParticipations = () => ({
  payload: Object.entries(MARKETPLACES).map(([currency, m]) => ({
    marketplace: { id: m.id, name: m.name, countryCode: m.countryCode, defaultCurrencyCode: currency, defaultLanguageCode: m.language, domainName: m.domain },
    participation: { isParticipating: true, hasSuspendedListings: false },
  })),
});
/** The host Amazon Custom files are served from; the sandbox agent routes it here too. */
export const CUSTOMIZATION_HOST = 'https://zme-caps.amazon.com';
export const CUSTOMIZATION_PATH = '/amazon-custom';

export const amazonTime = (iso: string) => new Date(Date.parse(iso) - AMAZON_CLOCK_LAG_MS).toISOString();
export const marketplaceOf = (o: SandboxOrder) => MARKETPLACES[o.currency] ?? MARKETPLACES.USD!;

export function fulfillmentStatus(o: SandboxOrder): FulfillmentStatus {
  switch (o.state) {
    case 'pending':
      return o.numericId % 7 === 0 ? 'PENDING_AVAILABILITY' : 'PENDING'; // a share of pre-orders
    case 'cancelled':
      return 'CANCELLED';
    case 'shipped':
      return 'SHIPPED';
    case 'partially_shipped':
      return 'PARTIALLY_SHIPPED';
    default:
      return o.lines.some((l) => l.quantityShipped > 0) ? 'PARTIALLY_SHIPPED' : 'UNSHIPPED';
  }
}

const money = (minor: number, o: SandboxOrder) => ({ amount: minorToDecimal(minor, o.exponent), currencyCode: o.currency });
const asin = (l: SandboxLine) => `B0${(Number(l.listingId) % 36 ** 8).toString(36).toUpperCase().padStart(8, '0')}`;

/** An order's Amazon Custom file: a ZIP holding the customization JSON (`version3.0` layout). */
export function customizationArchive(o: SandboxOrder, l: SandboxLine): Uint8Array {
  const doc = {
    orderId: o.id,
    orderItemId: l.lineId,
    asin: asin(l),
    title: l.title,
    quantity: l.quantity,
    'version3.0': {
      customizationInfo: {
        surfaces: [
          {
            name: 'Surface 1',
            areas: [
              { customizationType: 'TextPrinting', name: 'Text 1', label: 'Your text', text: l.personalization ?? '', fontFamily: 'Roboto', colorName: 'Black' },
              ...Object.entries(l.variations ?? {}).map(([label, value]) => ({ customizationType: 'Options', name: label, label, optionValue: value })),
            ],
          },
        ],
      },
    },
  };
  return zipSync({ [`${l.lineId}.json`]: strToU8(JSON.stringify(doc, null, 2)) });
}

/** A sandbox order as Amazon's Order (orders_2026-01-01.json, definitions/Order). */
export function renderAmazonOrder(o: SandboxOrder, included: Set<string>): AmazonOrder {
  const status = fulfillmentStatus(o);
  const totals = orderTotals(o);
  const marketplace = marketplaceOf(o);
  // Buyer and address PII only exist once the order is paid and not cancelled.
  const pii = status === 'UNSHIPPED' || status === 'PARTIALLY_SHIPPED' || status === 'SHIPPED';
  const order: AmazonOrder & Record<string, unknown> = {
    orderId: o.id,
    createdTime: amazonTime(o.createdAt),
    lastUpdatedTime: amazonTime(o.updatedAt),
    programs: [],
    salesChannel: { channelName: 'AMAZON', marketplaceId: marketplace.id, marketplaceName: marketplace.name },
    orderItems: o.lines.map((l): AmazonOrderItem => {
      const item: AmazonOrderItem = {
        orderItemId: l.lineId,
        quantityOrdered: l.quantity,
        product: {
          asin: asin(l),
          title: l.title,
          sellerSku: l.sku ?? `LEGACY-${l.productId}`,
          price: { unitPrice: money(l.unitPriceMinor, o) },
          ...(l.personalization !== undefined ? { customization: { customizedUrl: `${CUSTOMIZATION_HOST}${CUSTOMIZATION_PATH}/${o.id}/${l.lineId}` } } : {}),
        },
      };
      if (included.has('PROCEEDS') && status !== 'PENDING' && status !== 'PENDING_AVAILABILITY') {
        item.proceeds = { proceedsTotal: money(l.unitPriceMinor * l.quantity, o) };
      }
      if (included.has('FULFILLMENT')) {
        item.fulfillment = {
          quantityFulfilled: l.quantityShipped,
          quantityUnfulfilled: o.state === 'cancelled' ? 0 : l.quantity - l.quantityShipped,
          ...(o.giftMessage && l === o.lines[0] ? { packing: { giftOption: { giftMessage: o.giftMessage, giftWrapLevel: 'Classic' } } } : {}),
        };
      }
      return item;
    }),
  };
  if (included.has('BUYER') && pii) order.buyer = { buyerName: o.buyer.name, buyerEmail: `${o.buyer.username}@marketplace.amazon.com` };
  if (included.has('RECIPIENT')) {
    const a = o.address;
    order.recipient = {
      deliveryAddress: {
        ...(pii ? { name: a.name, addressLine1: a.line1, ...(a.line2 ? { addressLine2: a.line2 } : {}), postalCode: a.postalCode, ...(a.phone ? { phone: a.phone } : {}) } : {}),
        city: a.city,
        stateOrRegion: a.region,
        countryCode: a.countryCode,
        addressType: 'RESIDENTIAL',
      },
    };
  }
  if (included.has('PROCEEDS') && status !== 'PENDING' && status !== 'PENDING_AVAILABILITY') {
    order.proceeds = {
      grandTotal: money(totals.total, o),
      breakdowns: [
        { type: 'ITEM', subtotal: money(totals.subtotal, o) },
        { type: 'SHIPPING', subtotal: money(totals.shipping, o) },
        { type: 'TAX', subtotal: money(totals.tax, o) },
      ],
    };
  }
  if (included.has('FULFILLMENT')) {
    order.fulfillment = {
      fulfillmentStatus: status,
      fulfilledBy: 'MERCHANT',
      fulfillmentServiceLevel: 'STANDARD',
      shipByWindow: { earliestDateTime: amazonTime(o.createdAt), latestDateTime: amazonTime(o.shipBy) },
    };
  }
  if (included.has('PACKAGES')) {
    order.packages = o.shipments.map((s) => ({
      packageReferenceId: s.id,
      createdTime: s.shippedAt,
      packageStatus: { status: 'SHIPPED' },
      carrier: s.carrier,
      shipTime: s.shippedAt,
      trackingNumber: s.trackingNumber,
      packageItems: s.lines.map((l) => ({ orderItemId: l.lineId, quantity: l.quantity })),
    }));
  }
  return order;
}
