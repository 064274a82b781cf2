import { z } from 'zod';

/** The parts of Etsy's v3 wire format the adapter reads (components/schemas in the official definition). */
export interface EtsyMoney {
  amount: number;
  divisor: number;
  currency_code: string;
}

export interface EtsyVariation {
  /** 54 for personalization answers. */
  property_id: number;
  value_id: number | null;
  /** Personalization only (2026 tools): the id of the question this answers. */
  question_id?: number | null;
  formatted_name: string;
  formatted_value: string;
}

export interface EtsyTransaction {
  transaction_id: number;
  title: string | null;
  quantity: number;
  listing_id: number | null;
  product_id: number | null;
  sku: string | null;
  price: EtsyMoney;
  shipping_cost?: EtsyMoney;
  variations: EtsyVariation[];
  expected_ship_date: number | null;
  shipped_timestamp?: number | null;
  is_digital?: boolean;
}

export interface EtsyShipment {
  receipt_shipping_id: number | null;
  shipment_notification_timestamp: number;
  carrier_name: string;
  tracking_code: string;
}

export interface EtsyReceipt {
  receipt_id: number;
  /**
   * The definition lists 'paid' | 'completed' | 'open' | 'payment processing' | 'canceled' |
   * 'fully refunded' | 'partially refunded'; live receipts send them capitalised ("Fully Refunded").
   * Read it only through wireEnum (case-insensitive, unknown values quarantined).
   */
  status: string;
  buyer_email?: string | null;
  name?: string;
  first_line?: string;
  second_line?: string | null;
  city?: string;
  state?: string | null;
  zip?: string;
  country_iso?: string;
  formatted_address?: string;
  message_from_buyer?: string | null;
  is_paid: boolean;
  is_shipped: boolean;
  is_gift?: boolean;
  gift_message?: string;
  created_timestamp: number;
  updated_timestamp: number;
  grandtotal: EtsyMoney;
  /** Etsy's subtotal is after the discount: total_price minus discount_amt. */
  subtotal?: EtsyMoney;
  /** The items before the discount. */
  total_price?: EtsyMoney;
  /** Coupons and sales taken off, positive. */
  discount_amt?: EtsyMoney;
  total_shipping_cost?: EtsyMoney;
  total_tax_cost?: EtsyMoney;
  shipments: EtsyShipment[];
  transactions: EtsyTransaction[];
}

export interface EtsyReceiptList {
  count: number;
  results: EtsyReceipt[];
}

/** Money, variations, transactions, shipments and the receipt as the mapper reads them (parseWire). */
const text = z.string().nullish();
const count = z.number().nullish();
const etsyMoneySchema = z.looseObject({ amount: z.number(), divisor: z.number(), currency_code: z.string() });
export const etsyReceiptSchema = z.looseObject({
  receipt_id: z.number(),
  status: z.string(),
  buyer_email: text,
  name: text,
  first_line: text,
  second_line: text,
  city: text,
  state: text,
  zip: text,
  country_iso: text,
  formatted_address: text,
  message_from_buyer: text,
  is_paid: z.boolean(),
  is_shipped: z.boolean(),
  is_gift: z.boolean().nullish(),
  gift_message: text,
  created_timestamp: z.number(),
  updated_timestamp: z.number(),
  grandtotal: etsyMoneySchema,
  subtotal: etsyMoneySchema.nullish(),
  total_price: etsyMoneySchema.nullish(),
  discount_amt: etsyMoneySchema.nullish(),
  total_shipping_cost: etsyMoneySchema.nullish(),
  total_tax_cost: etsyMoneySchema.nullish(),
  shipments: z.array(z.looseObject({ receipt_shipping_id: count, carrier_name: text, tracking_code: text })).nullish(),
  transactions: z.array(
    z.looseObject({
      transaction_id: z.number(),
      title: text,
      quantity: z.number(),
      listing_id: count,
      product_id: count,
      sku: text,
      price: etsyMoneySchema,
      variations: z.array(z.looseObject({ property_id: count, formatted_name: text, formatted_value: text })).nullish(),
      expected_ship_date: count,
      shipped_timestamp: count,
    }),
  ),
});
