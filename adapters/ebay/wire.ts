import { z } from 'zod';

/**
 * The parts of eBay's Sell Fulfillment v1 wire format the adapter reads (components/schemas in
 * sell_fulfillment_v1_oas3.yaml, v1.20.4). Enum values are eBay's documented ones; every field is
 * optional on the wire, so the normalizer checks what it relies on.
 */
export interface EbayAmount {
  currency?: string;
  value?: string;
  convertedFromCurrency?: string;
  convertedFromValue?: string;
}

export interface EbayNameValuePair {
  name?: string;
  value?: string;
}

export interface EbayAddress {
  addressLine1?: string;
  addressLine2?: string;
  city?: string;
  countryCode?: string;
  county?: string;
  postalCode?: string;
  stateOrProvince?: string;
}

export interface EbayExtendedContact {
  companyName?: string;
  contactAddress?: EbayAddress;
  email?: string;
  fullName?: string;
  primaryPhone?: { phoneNumber?: string };
}

export interface EbayFulfillmentStartInstruction {
  fulfillmentInstructionsType?: string;
  ebaySupportedFulfillment?: boolean;
  minEstimatedDeliveryDate?: string;
  maxEstimatedDeliveryDate?: string;
  shippingStep?: {
    shippingCarrierCode?: string;
    shippingServiceCode?: string;
    shipTo?: EbayExtendedContact;
    shipToReferenceId?: string;
  };
}

export type EbayLineItemFulfillmentStatus = 'NOT_STARTED' | 'IN_PROGRESS' | 'FULFILLED';

export interface EbayLineItem {
  lineItemId?: string;
  legacyItemId?: string;
  legacyVariationId?: string;
  sku?: string;
  title?: string;
  quantity?: number;
  lineItemCost?: EbayAmount;
  total?: EbayAmount;
  lineItemFulfillmentStatus?: EbayLineItemFulfillmentStatus | string;
  lineItemFulfillmentInstructions?: {
    shipByDate?: string;
    minEstimatedDeliveryDate?: string;
    maxEstimatedDeliveryDate?: string;
    guaranteedDelivery?: boolean;
  };
  variationAspects?: EbayNameValuePair[];
  giftDetails?: { message?: string; recipientEmail?: string; senderName?: string };
  listingMarketplaceId?: string;
  purchaseMarketplaceId?: string;
  soldFormat?: string;
}

export type EbayOrderFulfillmentStatus = 'NOT_STARTED' | 'IN_PROGRESS' | 'FULFILLED';
export type EbayOrderPaymentStatus = 'PAID' | 'PENDING' | 'FAILED' | 'FULLY_REFUNDED' | 'PARTIALLY_REFUNDED';
export type EbayCancelState = 'NONE_REQUESTED' | 'IN_PROGRESS' | 'CANCELED';

export interface EbayCancelRequest {
  cancelRequestId?: string;
  cancelRequestState?: 'REQUESTED' | 'REJECTED' | 'COMPLETED' | string;
  cancelInitiator?: string;
  cancelReason?: string;
  cancelRequestedDate?: string;
  cancelCompletedDate?: string;
}

export interface EbayOrder {
  orderId?: string;
  legacyOrderId?: string;
  creationDate?: string;
  lastModifiedDate?: string;
  orderFulfillmentStatus?: EbayOrderFulfillmentStatus | string;
  orderPaymentStatus?: EbayOrderPaymentStatus | string;
  sellerId?: string;
  /** `username` holds an immutable user id instead for U.S. buyers, for developers in some regions (since 2025-09-26). */
  buyer?: { username?: string; taxAddress?: { countryCode?: string }; buyerRegistrationAddress?: EbayExtendedContact };
  buyerCheckoutNotes?: string;
  cancelStatus?: { cancelState?: EbayCancelState | string; cancelRequests?: EbayCancelRequest[]; cancelledDate?: string };
  fulfillmentStartInstructions?: EbayFulfillmentStartInstruction[];
  fulfillmentHrefs?: string[];
  lineItems?: EbayLineItem[];
  pricingSummary?: {
    priceSubtotal?: EbayAmount;
    deliveryCost?: EbayAmount;
    tax?: EbayAmount;
    total?: EbayAmount;
    priceDiscount?: EbayAmount;
    deliveryDiscount?: EbayAmount;
    adjustment?: EbayAmount;
    fee?: EbayAmount;
  };
  salesRecordReference?: string;
}

export interface EbayOrderPage {
  href?: string;
  limit?: number;
  offset?: number;
  total?: number;
  next?: string;
  prev?: string;
  orders?: EbayOrder[];
  warnings?: { errorId?: number; message?: string }[];
}

export interface EbayLineItemReference {
  lineItemId: string;
  quantity: number;
}

/** createShippingFulfillment's body (components/schemas/ShippingFulfillmentDetails). */
export interface EbayShippingFulfillmentDetails {
  lineItems: EbayLineItemReference[];
  shippedDate: string;
  shippingCarrierCode: string;
  trackingNumber: string;
}

export interface EbayShippingFulfillment {
  fulfillmentId?: string;
  lineItems?: EbayLineItemReference[];
  shipmentTrackingNumber?: string;
  shippedDate?: string;
  shippingCarrierCode?: string;
}

export interface EbayShippingFulfillmentPage {
  fulfillments?: EbayShippingFulfillment[];
  total?: number;
}

/** The identity endpoint's answer to a refresh-token grant. */
export interface EbayTokenResponse {
  access_token: string;
  expires_in: number;
  token_type: string;
  refresh_token?: string;
  refresh_token_expires_in?: number;
}

/** The order as the mapper reads it (parseWire): every field optional on the wire, but of its type. */
const text = z.string().nullish();
const ebayAmountSchema = z.looseObject({ value: text, currency: text }).nullish();
const ebayAddressSchema = z.looseObject({
  addressLine1: text,
  addressLine2: text,
  city: text,
  countryCode: text,
  postalCode: text,
  stateOrProvince: text,
});
export const ebayOrderSchema = z.looseObject({
  orderId: text,
  creationDate: text,
  lastModifiedDate: text,
  orderFulfillmentStatus: text,
  orderPaymentStatus: text,
  buyerCheckoutNotes: text,
  buyer: z
    .looseObject({
      username: text,
      taxAddress: z.looseObject({ countryCode: text }).nullish(),
      buyerRegistrationAddress: z.looseObject({ contactAddress: ebayAddressSchema.nullish() }).nullish(),
    })
    .nullish(),
  cancelStatus: z.looseObject({ cancelState: text, cancelRequests: z.array(z.looseObject({ cancelRequestState: text }).nullish()).nullish() }).nullish(),
  fulfillmentStartInstructions: z
    .array(
      z
        .looseObject({
          shippingStep: z
            .looseObject({
              shipTo: z
                .looseObject({
                  fullName: text,
                  companyName: text,
                  email: text,
                  contactAddress: ebayAddressSchema.nullish(),
                  primaryPhone: z.looseObject({ phoneNumber: text }).nullish(),
                })
                .nullish(),
            })
            .nullish(),
        })
        .nullish(),
    )
    .nullish(),
  lineItems: z
    .array(
      z.looseObject({
        lineItemId: text,
        legacyItemId: text,
        legacyVariationId: text,
        sku: text,
        title: text,
        quantity: z.number().nullish(),
        lineItemCost: ebayAmountSchema,
        lineItemFulfillmentStatus: text,
        lineItemFulfillmentInstructions: z.looseObject({ shipByDate: text, guaranteedDelivery: z.boolean().nullish() }).nullish(),
        variationAspects: z.array(z.looseObject({ name: text, value: text }).nullish()).nullish(),
        giftDetails: z.looseObject({ message: text }).nullish(),
      }),
    )
    .nullish(),
  pricingSummary: z
    .looseObject({
      priceSubtotal: ebayAmountSchema,
      priceDiscount: ebayAmountSchema,
      deliveryCost: ebayAmountSchema,
      deliveryDiscount: ebayAmountSchema,
      tax: ebayAmountSchema,
      total: ebayAmountSchema,
    })
    .nullish(),
});
