import type { EbayAmount, EbayOrder, EbayShippingFulfillment } from '../../adapters/ebay/wire.ts';
import { minorToDecimal, orderTotals, type SandboxOrder, type SandboxShipment } from '../generator.ts';

/**
 * Quirks of live getOrders answers (test/fixtures/ebay/real/), each on a share of the orders, chosen
 * by id so the generator's random sequence is untouched:
 * - money in uneven precision ("35.0", "2.8"), as eBay sends it for some orders;
 * - a price discount (negative priceDiscount, lower total), eBay's promotions;
 * - an `ebay:` routing code in addressLine1 with the street in addressLine2 (never to be removed).
 */
const quirk = {
  unevenPrecision: (o: SandboxOrder) => o.numericId % 2 === 0,
  discount: (o: SandboxOrder) => o.numericId % 5 === 0,
  addressCode: (o: SandboxOrder) => o.numericId % 7 === 0,
};

function decimal(minor: number, o: SandboxOrder): string {
  const text = minorToDecimal(minor, o.exponent);
  return quirk.unevenPrecision(o) && text.includes('.') ? text.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '.0') : text;
}
const amount = (minor: number, o: SandboxOrder): EbayAmount => ({ value: decimal(minor, o), currency: o.currency });
/** 10 % off the items, as a seller's promotion would. */
const discountOf = (o: SandboxOrder) => (quirk.discount(o) ? Math.round(orderTotals(o).subtotal / 10) : 0);
const MARKETPLACE: Record<string, string> = { USD: 'EBAY_US', GBP: 'EBAY_GB' };
const daysAfter = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();

function fulfillmentStatus(o: SandboxOrder): 'NOT_STARTED' | 'IN_PROGRESS' | 'FULFILLED' {
  if (o.lines.every((l) => l.quantityShipped >= l.quantity)) return 'FULFILLED';
  return o.lines.some((l) => l.quantityShipped > 0) ? 'IN_PROGRESS' : 'NOT_STARTED';
}

/**
 * A sandbox order as eBay's Order (components/schemas/Order, v1.20.4). `withCancelRequests`: only
 * getOrder fills cancelStatus.cancelRequests; getOrders leaves the array empty.
 */
export function renderEbayOrder(o: SandboxOrder, sellerId: string, withCancelRequests = false): EbayOrder & Record<string, unknown> {
  const totals = orderTotals(o);
  const discount = discountOf(o);
  const cancelled = o.state === 'cancelled';
  const marketplace = MARKETPLACE[o.currency] ?? 'EBAY_US';
  const street = quirk.addressCode(o)
    ? { addressLine1: `ebay:${(o.numericId * 7919).toString(36).slice(-7)}`, addressLine2: o.address.line1 }
    : { addressLine1: o.address.line1, ...(o.address.line2 ? { addressLine2: o.address.line2 } : {}) };
  return {
    orderId: o.id,
    // "Decommissioned" in 1.20.6: live answers still carry it, equal to orderId.
    legacyOrderId: o.id,
    creationDate: o.createdAt,
    lastModifiedDate: o.updatedAt,
    orderFulfillmentStatus: fulfillmentStatus(o),
    orderPaymentStatus: cancelled ? 'FULLY_REFUNDED' : o.paid ? 'PAID' : 'PENDING',
    sellerId,
    buyer: { username: o.buyer.username },
    ...(o.buyerNote ? { buyerCheckoutNotes: o.buyerNote } : {}),
    pricingSummary: {
      priceSubtotal: amount(totals.subtotal, o),
      deliveryCost: amount(totals.shipping, o),
      tax: amount(totals.tax, o),
      ...(discount ? { priceDiscount: amount(-discount, o) } : {}),
      total: amount(totals.total - discount, o),
    },
    cancelStatus: {
      cancelState: cancelled ? 'CANCELED' : o.cancelRequested ? 'IN_PROGRESS' : 'NONE_REQUESTED',
      cancelRequests:
        withCancelRequests && (o.cancelRequested || cancelled)
          ? [
              {
                cancelRequestId: `5${o.numericId}`,
                cancelInitiator: 'BUYER',
                cancelReason: 'BUYER_ASKED_CANCEL',
                cancelRequestState: cancelled ? 'COMPLETED' : 'REQUESTED',
                cancelRequestedDate: o.updatedAt,
              },
            ]
          : [],
      ...(cancelled ? { cancelledDate: o.updatedAt } : {}),
    },
    fulfillmentHrefs: o.shipments.map((s) => `https://api.ebay.com/sell/fulfillment/v1/order/${o.id}/shipping_fulfillment/${s.id}`),
    fulfillmentStartInstructions: [
      {
        fulfillmentInstructionsType: 'SHIP_TO',
        ebaySupportedFulfillment: false,
        minEstimatedDeliveryDate: daysAfter(o.shipBy, 2),
        maxEstimatedDeliveryDate: daysAfter(o.shipBy, 5),
        shippingStep: {
          shippingCarrierCode: o.currency === 'GBP' ? 'RoyalMail' : 'USPS',
          shippingServiceCode: o.currency === 'GBP' ? 'UK_RoyalMailSecondClassStandard' : 'USPSPriority',
          shipTo: {
            fullName: o.address.name,
            contactAddress: {
              ...street,
              city: o.address.city,
              stateOrProvince: o.address.region,
              postalCode: o.address.postalCode,
              countryCode: o.address.countryCode,
            },
            ...(o.address.phone ? { primaryPhone: { phoneNumber: o.address.phone } } : {}),
            email: `${o.buyer.username}@members.ebay.com`,
          },
        },
      },
    ],
    lineItems: o.lines.map((l) => ({
      lineItemId: l.lineId,
      legacyItemId: l.listingId,
      ...(l.sku ? { sku: l.sku } : {}),
      title: l.title,
      quantity: l.quantity,
      soldFormat: 'FIXED_PRICE',
      listingMarketplaceId: marketplace,
      purchaseMarketplaceId: marketplace,
      lineItemCost: amount(l.unitPriceMinor * l.quantity, o),
      total: amount(l.unitPriceMinor * l.quantity, o),
      deliveryCost: { shippingCost: amount(0, o) },
      lineItemFulfillmentStatus: l.quantityShipped >= l.quantity ? 'FULFILLED' : l.quantityShipped > 0 ? 'IN_PROGRESS' : 'NOT_STARTED',
      lineItemFulfillmentInstructions: {
        shipByDate: o.shipBy,
        minEstimatedDeliveryDate: daysAfter(o.shipBy, 2),
        maxEstimatedDeliveryDate: daysAfter(o.shipBy, 5),
        guaranteedDelivery: false,
      },
      ...(l.variations || l.personalization !== undefined
        ? {
            variationAspects: [
              ...Object.entries(l.variations ?? {}).map(([name, value]) => ({ name, value })),
              ...(l.personalization !== undefined ? [{ name: 'Personalization', value: l.personalization }] : []),
            ],
          }
        : {}),
    })),
    salesRecordReference: String(o.numericId % 100_000),
  };
}

/** One package as eBay's ShippingFulfillment. */
export const renderEbayFulfillment = (s: SandboxShipment): EbayShippingFulfillment => ({
  fulfillmentId: s.id,
  shipmentTrackingNumber: s.trackingNumber,
  shippingCarrierCode: s.carrier,
  shippedDate: s.shippedAt,
  lineItems: s.lines.map((l) => ({ lineItemId: l.lineId, quantity: l.quantity })),
});
