import { sql } from 'drizzle-orm/sql';
import { blob, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;
const timestamps = {
  createdAt: text('created_at').notNull().default(now),
  updatedAt: text('updated_at').notNull().default(now),
};

/** One row per marketplace account the worker serves (id = `${platform}:${externalAccountId}`). */
export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  platform: text('platform', { enum: ['amazon', 'ebay', 'etsy'] }).notNull(),
  externalAccountId: text('external_account_id').notNull(),
  healthy: integer('healthy', { mode: 'boolean' }).notNull().default(true),
  healthReason: text('health_reason'),
  /** Tokens the worker refreshed itself (rotated refresh tokens must survive a restart). */
  accessToken: text('access_token'),
  accessTokenExpiresAt: text('access_token_expires_at'),
  refreshToken: text('refresh_token'),
  lastPolledAt: text('last_polled_at'),
  ...timestamps,
});

/** Where each incremental stream of an account stopped; advanced only with the page it belongs to. */
export const syncCursors = sqliteTable(
  'sync_cursors',
  {
    accountId: text('account_id').notNull().references(() => accounts.id, { onDelete: 'cascade' }),
    stream: text('stream').notNull(),
    cursor: text('cursor').notNull(),
    updatedAt: text('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('sync_cursors_account_stream').on(t.accountId, t.stream)],
);

export const orders = sqliteTable(
  'orders',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    platform: text('platform', { enum: ['amazon', 'ebay', 'etsy'] }).notNull(),
    accountId: text('account_id').notNull().references(() => accounts.id),
    externalId: text('external_id').notNull(),
    status: text('status', {
      enum: ['pending', 'unshipped', 'partially_shipped', 'shipped', 'cancelled'],
    }).notNull(),
    paymentStatus: text('payment_status').notNull(),
    purchasedAt: text('purchased_at').notNull(),
    remoteUpdatedAt: text('remote_updated_at').notNull(),
    shipBy: text('ship_by'),
    currency: text('currency').notNull(),
    totalMinor: integer('total_minor').notNull(),
    subtotalMinor: integer('subtotal_minor'),
    /** Discounts and coupons, positive (subtotal - discount + shipping + tax ~ total). */
    discountMinor: integer('discount_minor'),
    shippingMinor: integer('shipping_minor'),
    taxMinor: integer('tax_minor'),
    buyerName: text('buyer_name'),
    buyerEmail: text('buyer_email'),
    /** The marketplace user name (eBay), which the shop writes to through the marketplace. */
    buyerUsername: text('buyer_username'),
    /** What buyer_username holds: 'username', or eBay's immutable 'user_id' (U.S. buyers, some regions, since 2025-09-26). */
    buyerUsernameKind: text('buyer_username_kind', { enum: ['username', 'user_id'] }),
    /** Personal data columns (buyer name, e-mail, address, note, gift message) hold sealed text: db/crypto.ts. */
    shippingAddress: text('shipping_address'),
    addressUnavailable: integer('address_unavailable', { mode: 'boolean' }).notNull().default(false),
    giftMessage: text('gift_message'),
    buyerNote: text('buyer_note'),
    /** Platform facts worth a flag (e.g. 'cancel_requested', 'address_unavailable_by_policy'). */
    flags: text('flags', { mode: 'json' }).$type<string[]>(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('orders_platform_account_external').on(t.platform, t.accountId, t.externalId),
    // Ops look orders up by the marketplace's number alone (ship, order view, CSV imports).
    index('orders_external_id').on(t.externalId),
    index('orders_ship_by').on(t.shipBy),
    index('orders_status').on(t.status),
  ],
);

/** The payload as fetched (JSON, deflated: db/payload-codec.ts; sealed), so a fixed normalizer can re-run without re-fetching. */
export const orderPayloads = sqliteTable('order_payloads', {
  orderId: integer('order_id')
    .primaryKey()
    .references(() => orders.id, { onDelete: 'cascade' }),
  payload: blob('payload', { mode: 'buffer' }).notNull(),
  fetchedAt: text('fetched_at').notNull().default(now),
});

export const orderItems = sqliteTable(
  'order_items',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    externalLineId: text('external_line_id').notNull(),
    sku: text('sku').notNull(),
    skuFallback: text('sku_fallback'),
    title: text('title').notNull(),
    quantity: integer('quantity').notNull(),
    quantityShipped: integer('quantity_shipped').notNull().default(0),
    unitPriceMinor: integer('unit_price_minor').notNull(),
    personalization: text('personalization'),
    variations: text('variations', { mode: 'json' }).$type<Record<string, string>>(),
    listingId: text('listing_id'),
    extra: text('extra', { mode: 'json' }).$type<Record<string, unknown>>(),
    ...timestamps,
  },
  (t) => [uniqueIndex('order_items_order_line').on(t.orderId, t.externalLineId), index('order_items_sku').on(t.sku)],
);

/** Raw orders that failed normalization, with the reason; visible to ops, re-tried when fixed. */
export const quarantine = sqliteTable(
  'quarantine',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: text('account_id').notNull().references(() => accounts.id),
    externalId: text('external_id'),
    field: text('field'),
    reason: text('reason').notNull(),
    payload: blob('payload', { mode: 'buffer' }).notNull(),
    resolvedAt: text('resolved_at'),
    ...timestamps,
  },
  (t) => [index('quarantine_account_external').on(t.accountId, t.externalId)],
);

export const productionItems = sqliteTable(
  'production_items',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderItemId: integer('order_item_id')
      .notNull()
      .references(() => orderItems.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['print', 'pack'] }).notNull(),
    state: text('state', {
      enum: ['waiting_payment', 'queued', 'printing', 'printed', 'ready_to_pack', 'packed', 'shipped', 'cancelled', 'failed'],
    }).notNull(),
    rule: text('rule'),
    reason: text('reason'),
    jobId: text('job_id'),
    profile: text('profile', { mode: 'json' }).$type<Record<string, unknown>>(),
    estimateMinutes: integer('estimate_minutes'),
    flags: text('flags', { mode: 'json' }).$type<string[]>(),
    printerGroup: text('printer_group'),
    /** BullMQ lock token of the active (printing) job; the CLI/API need it to complete or fail the job. */
    lockToken: text('lock_token'),
    takenBy: text('taken_by'),
    startedAt: text('started_at'),
    printedAt: text('printed_at'),
    /** Set once the BullMQ job exists; rows without it are (re-)enqueued after a crash (outbox). */
    enqueuedAt: text('enqueued_at'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('production_items_order_item').on(t.orderItemId),
    index('production_items_state').on(t.state),
    // Every flush looks for rows without a job and rows flagged for it: with these, a flush reads those
    // rows only, not every row of a backlog (which made a large first sync slower the larger it was).
    index('production_items_unenqueued').on(t.state).where(sql`enqueued_at IS NULL`),
    index('production_items_flagged').on(t.id).where(sql`flags IS NOT NULL AND flags <> '[]'`),
  ],
);

export const shipments = sqliteTable(
  'shipments',
  {
    id: text('id').primaryKey(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    carrier: text('carrier').notNull(),
    carrierCode: text('carrier_code').notNull(),
    trackingNumber: text('tracking_number').notNull(),
    shippedAt: text('shipped_at').notNull(),
    lines: text('lines', { mode: 'json' }).notNull().$type<{ orderItemId: number; externalLineId: string; quantity: number }[]>(),
    noteToBuyer: text('note_to_buyer'),
    source: text('source', { enum: ['cli', 'api', 'csv'] }).notNull(),
    state: text('state', { enum: ['pending', 'pushing', 'pushed', 'failed', 'manual'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** While a push runs: until when it holds the shipment (a second run of the same job waits it out). */
    leaseUntil: text('lease_until'),
    /** Which process holds the lease: one that is gone (a crash, a restart) holds nothing. */
    leaseOwner: text('lease_owner'),
    remoteId: text('remote_id'),
    error: text('error'),
    pushedAt: text('pushed_at'),
    ...timestamps,
  },
  (t) => [uniqueIndex('shipments_order_tracking').on(t.orderId, t.trackingNumber), index('shipments_state').on(t.state)],
);

/** The audit trail: what happened to which account, order or shipment, and why. */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at').notNull().default(now),
    type: text('type').notNull(),
    accountId: text('account_id'),
    orderId: integer('order_id'),
    shipmentId: text('shipment_id'),
    message: text('message').notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('events_type').on(t.type), index('events_order').on(t.orderId)],
);
