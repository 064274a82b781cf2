import { z } from 'zod';

/**
 * The parts of Amazon's wire format the adapter reads and writes: Orders API 2026-01-01
 * (`definitions/Order` in orders_2026-01-01.json) and v0 `ConfirmShipmentRequest` (ordersV0.json).
 */
export interface AmazonMoney {
  amount: string;
  currencyCode: string;
}

export type FulfillmentStatus = 'PENDING_AVAILABILITY' | 'PENDING' | 'UNSHIPPED' | 'PARTIALLY_SHIPPED' | 'SHIPPED' | 'CANCELLED' | 'UNFULFILLABLE';

export interface DateTimeRange {
  earliestDateTime?: string;
  latestDateTime?: string;
}

export interface AmazonOrderItem {
  orderItemId: string;
  quantityOrdered: number;
  product: {
    asin?: string;
    title?: string;
    sellerSku?: string;
    price?: { unitPrice?: AmazonMoney };
    customization?: { customizedUrl?: string };
  };
  proceeds?: { proceedsTotal?: AmazonMoney };
  cancellation?: { cancellationRequest?: { requester?: string; cancelReason?: string } };
  fulfillment?: {
    quantityFulfilled?: number;
    quantityUnfulfilled?: number;
    packing?: { giftOption?: { giftMessage?: string; giftWrapLevel?: string } };
  };
}

export interface AmazonPackage {
  packageReferenceId: string;
  createdTime?: string;
  packageStatus?: { status: string; detailedStatus?: string };
  carrier?: string;
  shipTime?: string;
  shippingService?: string;
  trackingNumber?: string;
  packageItems?: { orderItemId: string; quantity: number }[];
}

export interface AmazonAddress {
  name?: string;
  companyName?: string;
  addressLine1?: string;
  addressLine2?: string;
  addressLine3?: string;
  city?: string;
  districtOrCounty?: string;
  stateOrRegion?: string;
  municipality?: string;
  postalCode?: string;
  countryCode?: string;
  phone?: string;
  addressType?: string;
}

export interface AmazonOrder {
  orderId: string;
  createdTime: string;
  lastUpdatedTime: string;
  programs?: string[];
  salesChannel: { channelName: string; marketplaceId?: string; marketplaceName?: string };
  buyer?: { buyerName?: string; buyerEmail?: string; buyerCompanyName?: string };
  recipient?: { deliveryAddress?: AmazonAddress; deliveryPreference?: { addressInstruction?: string } };
  proceeds?: { grandTotal?: AmazonMoney; breakdowns?: { type: string; subtotal: AmazonMoney }[] };
  fulfillment?: {
    fulfillmentStatus: FulfillmentStatus;
    fulfilledBy?: string;
    fulfillmentServiceLevel?: string;
    shipByWindow?: DateTimeRange;
    deliverByWindow?: DateTimeRange;
  };
  orderItems: AmazonOrderItem[];
  packages?: AmazonPackage[];
}

export interface SearchOrdersResponse {
  orders: AmazonOrder[];
  pagination?: { nextToken?: string };
  lastUpdatedBefore?: string;
  createdBefore?: string;
}

export interface GetOrderResponse {
  order: AmazonOrder;
}

export interface ConfirmShipmentRequest {
  marketplaceId: string;
  packageDetail: {
    packageReferenceId: string;
    carrierCode: string;
    carrierName?: string;
    shippingMethod?: string;
    trackingNumber: string;
    shipDate: string;
    orderItems: { orderItemId: string; quantity: number }[];
  };
}

/** What the buyer entered for one Amazon Custom line, read from its customization file. */
export interface AmazonCustomization {
  /** The text areas, in the file's order: label and the buyer's text, verbatim. */
  texts?: { label: string; text: string }[];
  /** Option choices (colour, font...), label -> chosen value. */
  options?: Record<string, string>;
  /** Why the archive that arrived could not be read; the order is then quarantined rather than printed blank. */
  error?: string;
  /** Why the file has not been downloaded yet (network, 5xx, expired link): the line's print work waits. */
  pending?: string;
}

/**
 * One raw order as the adapter stores it: Amazon's order untouched, plus what its Amazon Custom
 * files said (by orderItemId), so a later re-normalize needs no download.
 */
export interface AmazonRawOrder {
  order: AmazonOrder;
  customizations?: Record<string, AmazonCustomization>;
}

/** The order as the mapper reads it (parseWire): the fields it relies on, each of its type. */
const text = z.string().nullish();
const amazonMoneySchema = z.looseObject({ amount: z.string(), currencyCode: z.string() });
export const amazonOrderSchema = z.looseObject({
  orderId: z.string(),
  createdTime: text,
  lastUpdatedTime: text,
  salesChannel: z.looseObject({ marketplaceId: text }).nullish(),
  buyer: z.looseObject({ buyerName: text, buyerEmail: text }).nullish(),
  recipient: z
    .looseObject({
      deliveryAddress: z
        .looseObject({
          name: text,
          addressLine1: text,
          addressLine2: text,
          addressLine3: text,
          city: text,
          stateOrRegion: text,
          postalCode: text,
          countryCode: text,
          phone: text,
        })
        .nullish(),
    })
    .nullish(),
  proceeds: z.looseObject({ grandTotal: amazonMoneySchema.nullish(), breakdowns: z.array(z.looseObject({ type: text, subtotal: amazonMoneySchema })).nullish() }).nullish(),
  fulfillment: z.looseObject({ fulfillmentStatus: text, fulfilledBy: text, shipByWindow: z.looseObject({ latestDateTime: text }).nullish() }).nullish(),
  orderItems: z.array(
    z.looseObject({
      orderItemId: z.string(),
      quantityOrdered: z.number(),
      product: z.looseObject({
        asin: text,
        title: text,
        sellerSku: text,
        price: z.looseObject({ unitPrice: amazonMoneySchema.nullish() }).nullish(),
        customization: z.looseObject({ customizedUrl: text }).nullish(),
      }),
      fulfillment: z
        .looseObject({
          quantityFulfilled: z.number().nullish(),
          packing: z.looseObject({ giftOption: z.looseObject({ giftMessage: text, giftWrapLevel: text }).nullish() }).nullish(),
        })
        .nullish(),
      cancellation: z.looseObject({ cancellationRequest: z.looseObject({ cancelReason: text }).nullish() }).nullish(),
    }),
  ),
});
