import type { PlatformName } from '../config/env.ts';

export type Platform = PlatformName;

export type OrderStatus = 'pending' | 'unshipped' | 'partially_shipped' | 'shipped' | 'cancelled';
export type PaymentStatus = 'pending' | 'paid' | 'failed' | 'refunded' | 'partially_refunded' | 'unknown';

export interface Address {
  name?: string;
  line1?: string;
  line2?: string;
  line3?: string;
  city?: string;
  region?: string;
  postalCode?: string;
  countryCode?: string;
  phone?: string;
}

export interface OrderItem {
  /** The marketplace's own line id (Amazon orderItemId, eBay lineItemId, Etsy transaction_id). */
  externalLineId: string;
  /** Seller SKU; when the listing has none, a fallback id and `skuFallback` set. */
  sku: string;
  skuFallback?: string;
  title: string;
  quantity: number;
  /** Quantity the marketplace already reports shipped. */
  quantityShipped?: number;
  unitPriceMinor: number;
  /** The buyer's own text, verbatim (engraving, name to print...). */
  personalization?: string;
  /** Variation choices as the buyer saw them, e.g. { Color: 'Blue', Size: 'Large' }. */
  variations?: Record<string, string>;
  /** ASIN, eBay legacy item id or Etsy listing id. */
  listingId?: string;
  /**
   * Everything else worth keeping per line (gift wrap, customization URL, product id...).
   * `customizationPending` (a reason) marks a personalized line whose text is not read yet.
   */
  extra?: Record<string, unknown>;
}

/** Order flag: a personalized line's text is not read yet (Amazon Custom file); its print work waits. */
export const CUSTOMIZATION_PENDING = 'customization_pending';

/** Why a line's personalization is not read yet, or undefined when it is (or has none). */
export const customizationPendingOf = (item: Pick<OrderItem, 'extra'>): string | undefined =>
  typeof item.extra?.customizationPending === 'string' ? item.extra.customizationPending : undefined;

/** One shape for every platform; money in integer minor units of `currency`. */
export interface Order {
  platform: Platform;
  accountId: string;
  externalId: string;
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  purchasedAt: string;
  /** The marketplace's own last-modified time (ISO 8601); never regress to an older one. */
  updatedAt: string;
  shipBy?: string;
  currency: string;
  /** What the buyer paid, the marketplace's own figure. */
  totalMinor: number;
  /** The items before any discount (price x quantity, summed), on every platform. */
  subtotalMinor?: number;
  /** Discounts and coupons taken off items and shipping, as a positive amount. */
  discountMinor?: number;
  shippingMinor?: number;
  taxMinor?: number;
  buyerName?: string;
  buyerEmail?: string;
  /** The buyer's marketplace user name (eBay), when the platform shares one. */
  buyerUsername?: string;
  /**
   * What `buyerUsername` holds: the user name, or eBay's immutable user id, which eBay sends in its
   * place for U.S. users to developers in some regions since 2025-09-26.
   */
  buyerUsernameKind?: 'username' | 'user_id';
  /** undefined + `addressUnavailable` when the API withheld it (missing role, country restriction). */
  shippingAddress?: Address;
  addressUnavailable?: boolean;
  giftMessage?: string;
  buyerNote?: string;
  /** Platform facts worth a flag, e.g. 'cancel_requested' (buyer asked to cancel; hold production). */
  flags?: string[];
  items: OrderItem[];
}

/** One page as the adapter fetched it: raw orders plus the cursor to store once it is committed. */
export interface OrderPage<Raw = unknown> {
  orders: Raw[];
  /** Opaque for the pipeline; stored as-is and handed back on the next poll. */
  nextCursor: string;
  /** More of the same API page follows (Amazon hands a page on order by order as each is read). */
  continues?: boolean;
}

export interface ShipmentLine {
  externalLineId: string;
  quantity: number;
}

export interface ShipmentPush {
  /** Our shipment id; also a natural package reference for the marketplace. */
  shipmentId: string;
  orderExternalId: string;
  carrier: string;
  trackingNumber: string;
  shippedAt: string;
  /** Lines and quantities in this package; all remaining lines when the shipment is for the whole order. */
  lines: ShipmentLine[];
  noteToBuyer?: string;
  /** True when a previous attempt may already have reached the marketplace. */
  retry: boolean;
}

export interface ShipmentPushResult {
  /** The marketplace's id for the fulfilment (eBay fulfillmentId, Etsy receipt_shipping_id...). */
  remoteId?: string;
  /** True when the marketplace already had this tracking number and nothing was sent. */
  alreadyPresent: boolean;
}

export interface RateLimit {
  /** Sustained requests per second. */
  ratePerSecond: number;
  burst: number;
  /** Per-day quota, when the platform has one. */
  perDay?: number;
  maxConcurrent?: number;
  /** Not a marketplace API call (a file download host): MARKETPLACE_API_RATE_LIMIT does not cap it. */
  notApiCall?: boolean;
}

/** How one access check went: INFO is neither a pass nor a problem (nothing to check yet). */
export type CheckStatus = 'pass' | 'info' | 'warn' | 'fail';

/** One finding of `ordersync doctor`: what was checked, what was found, and what to do when it did not pass. */
export interface AccessCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface ExtraStream {
  name: string;
  everyMs: number;
  /** Also polled right after a regular poll that read more than one page (the reads that can skip an order). */
  afterLongRead?: boolean;
}

export interface MarketplaceAdapter<Raw = unknown> {
  readonly platform: Platform;
  readonly accountId: string;
  /**
   * Pages of orders modified since `cursor` (null: first sync), oldest first. `stream` is 'orders'
   * for the regular poll, or one of `extraStreams` (each with its own stored cursor). `until` (an ISO
   * time) closes the range: a backfill reads history window by window with it.
   */
  fetchOrdersSince(cursor: string | null, stream?: string, until?: string): AsyncIterable<OrderPage<Raw>>;
  /** Slower re-reads some platforms need (Amazon's late-settling orders), polled on their own schedule. */
  readonly extraStreams?: ExtraStream[];
  /**
   * One order read again, whole, as the poll would read it: for an order stored incomplete (flag
   * CUSTOMIZATION_PENDING), which the re-read job retries with backoff until it is complete.
   */
  rereadOrder?(externalId: string): Promise<Raw>;
  /** Pure: one raw order to an Order; throws BadPayloadError naming the field. */
  normalize(raw: Raw): Order;
  /** The id used to quarantine a raw order that could not be normalized. */
  rawOrderId(raw: Raw): string | undefined;
  pushShipment(shipment: ShipmentPush): Promise<ShipmentPushResult>;
  /** The shop's carrier name to the platform's code; throws ValidationError when it cannot be sent. */
  mapCarrier(name: string): { code: string; name?: string };
  readonly limits: Record<string, RateLimit>;
  /**
   * Cheap live calls proving the credentials and each permission the worker needs (`ordersync
   * doctor`); a refusal is a finding with its fix, never a throw.
   */
  checkAccess?(): Promise<AccessCheck[]>;
  close?(): Promise<void>;
}
