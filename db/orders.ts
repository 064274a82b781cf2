import type Database from 'better-sqlite3';
import { eq, sql } from 'drizzle-orm/sql';
import type { Address, Order, OrderStatus } from '../adapters/types.ts';
import { keysOf, type Db } from './connection.ts';
import { openBytes, openText } from './crypto.ts';
import { unpackPayload } from './payload-codec.ts';
import { personalFieldsOf, sealOrder, type SealedOrder } from './sealed-order.ts';
import { orderItems, orders } from './schema.ts';

export type UpsertChange = 'inserted' | 'updated' | 'unchanged';

export interface UpsertResult {
  orderId: number;
  change: UpsertChange;
  previousStatus?: OrderStatus;
  status: OrderStatus;
  /** Item rows of the order as stored now (only filled when the order changed). */
  items: { id: number; externalLineId: string }[];
}

const ORDER_COLUMNS = [
  'platform', 'account_id', 'external_id', 'status', 'payment_status', 'purchased_at', 'remote_updated_at', 'ship_by',
  'currency', 'total_minor', 'subtotal_minor', 'discount_minor', 'shipping_minor', 'tax_minor', 'buyer_name', 'buyer_email',
  'buyer_username', 'buyer_username_kind', 'shipping_address', 'address_unavailable', 'gift_message', 'buyer_note', 'flags',
] as const;
const ITEM_COLUMNS = [
  'order_id', 'external_line_id', 'sku', 'sku_fallback', 'title', 'quantity', 'quantity_shipped', 'unit_price_minor',
  'personalization', 'variations', 'listing_id', 'extra',
] as const;

/**
 * The hot path of every poll, as prepared statements (built once per connection): the query
 * builder costs more than SQLite itself at tens of thousands of orders per second.
 */
function statements(client: Database.Database) {
  let s = cache.get(client);
  if (!s) {
    const params = (cols: readonly string[]) => cols.map((c) => `@${c}`).join(', ');
    s = {
      find: client.prepare<[string, string, string], StoredVersion>(
        'SELECT id, remote_updated_at, status, payment_status FROM orders WHERE platform = ? AND account_id = ? AND external_id = ?',
      ),
      insert: client.prepare<Record<string, unknown>>(
        `INSERT INTO orders (${ORDER_COLUMNS.join(', ')}, created_at, updated_at) VALUES (${params(ORDER_COLUMNS)}, @now, @now)`,
      ),
      update: client.prepare<Record<string, unknown>>(
        `UPDATE orders SET ${ORDER_COLUMNS.map((c) => `${c} = @${c}`).join(', ')}, updated_at = @now WHERE id = @id`,
      ),
      item: client.prepare<Record<string, unknown>, { id: number; external_line_id: string }>(
        `INSERT INTO order_items (${ITEM_COLUMNS.join(', ')}, created_at, updated_at) VALUES (${params(ITEM_COLUMNS)}, @now, @now)
         ON CONFLICT (order_id, external_line_id) DO UPDATE SET
           ${ITEM_COLUMNS.filter((c) => c !== 'order_id' && c !== 'external_line_id' && c !== 'quantity_shipped' && c !== 'personalization')
             .map((c) => `${c} = excluded.${c}`)
             .join(', ')},
           quantity_shipped = max(order_items.quantity_shipped, excluded.quantity_shipped),
           -- A newer copy whose customization file could not be read yet keeps the text read before.
           personalization = CASE
             WHEN excluded.personalization IS NULL AND json_extract(excluded.extra, '$.customizationPending') IS NOT NULL THEN order_items.personalization
             ELSE excluded.personalization END,
           updated_at = excluded.updated_at
         RETURNING id, external_line_id`,
      ),
      newItem: client.prepare<Record<string, unknown>>(
        `INSERT INTO order_items (${ITEM_COLUMNS.join(', ')}, created_at, updated_at) VALUES (${params(ITEM_COLUMNS)}, @now, @now)`,
      ),
      item_of: client.prepare<[string, string, string, string], { personalization: string | null; variations: string | null; extra: string | null }>(
        `SELECT i.personalization, i.variations, i.extra FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE o.platform = ? AND o.account_id = ? AND o.external_id = ? AND i.external_line_id = ?`,
      ),
      payload: client.prepare<[number, Buffer, string]>(
        `INSERT INTO order_payloads (order_id, payload, fetched_at) VALUES (?, ?, ?)
         ON CONFLICT (order_id) DO UPDATE SET payload = excluded.payload, fetched_at = excluded.fetched_at`,
      ),
    };
    cache.set(client, s);
  }
  return s;
}
type Statements = {
  find: Database.Statement<[string, string, string], StoredVersion>;
  insert: Database.Statement<Record<string, unknown>>;
  update: Database.Statement<Record<string, unknown>>;
  item: Database.Statement<Record<string, unknown>, { id: number; external_line_id: string }>;
  newItem: Database.Statement<Record<string, unknown>>;
  item_of: Database.Statement<[string, string, string, string], { personalization: string | null; variations: string | null; extra: string | null }>;
  payload: Database.Statement<[number, Buffer, string]>;
};
const cache = new WeakMap<Database.Database, Statements>();

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

const STATUS_RANK: Record<string, number> = { pending: 0, unshipped: 1, partially_shipped: 2, shipped: 3, cancelled: 4 };
const PAYMENT_RANK: Record<string, number> = { unknown: 0, pending: 0, failed: 1, paid: 2, partially_refunded: 3, refunded: 4 };

/** True when a copy moves the order on (placed -> paid -> shipped, or -> cancelled), never back. */
function movesForward(status: string, payment: string, nextStatus: string, nextPayment: string): boolean {
  const s = (STATUS_RANK[nextStatus] ?? 0) - (STATUS_RANK[status] ?? 0);
  return s > 0 || (s === 0 && (PAYMENT_RANK[nextPayment] ?? 0) > (PAYMENT_RANK[payment] ?? 0));
}

type StoredVersion = { id: number; remote_updated_at: string; status: OrderStatus; payment_status: string };

/**
 * Whether a copy of an order replaces the stored one. A copy older than the stored one changes
 * nothing: a late or repeated page never regresses an order, and re-polling the same page is a no-op.
 * A copy as old as the stored one counts only when it moves the order forward: Etsy's times have
 * one-second resolution, so a receipt cancelled in the same second as the copy we stored carries the
 * same time; a same-second copy that would move it back (a re-read of an order we shipped a moment
 * ago, a stale copy of a cancelled one) is ignored.
 */
function replacesStored(existing: StoredVersion | undefined, order: Order, opts: UpsertOptions): boolean {
  if (!existing) return true;
  const stored = Date.parse(existing.remote_updated_at);
  const incoming = Date.parse(order.updatedAt);
  if (!(stored >= incoming)) return true; // newer, or a time that does not parse: stored, as always
  return stored === incoming && (opts.sameVersionIsNewer === true || movesForward(existing.status, existing.payment_status, order.status, order.paymentStatus));
}

export interface UpsertOptions {
  /** A re-read of the same version replaces the stored copy (it was stored incomplete). */
  sameVersionIsNewer?: boolean;
  /** The order already sealed (sealAside); sealed here when absent. */
  sealed?: SealedOrder;
}

/** True when upsertOrder (without options) would store this copy: a new order, or one newer than the stored copy. */
export function changesStoredOrder(db: Db, order: Order): boolean {
  return replacesStored(statements(db.$client).find.get(order.platform, order.accountId, order.externalId), order, {});
}

/** Inserts or updates one normalized order and its items, when it replaces the stored copy. Call inside a transaction. */
export function upsertOrder(db: Db, order: Order, raw: unknown, opts: UpsertOptions = {}): UpsertResult {
  const st = statements(db.$client);
  const existing = st.find.get(order.platform, order.accountId, order.externalId);
  if (existing && !replacesStored(existing, order, opts)) {
    return { orderId: existing.id, change: 'unchanged', previousStatus: existing.status, status: existing.status, items: [] };
  }

  const sealed = opts.sealed ?? sealOrder(keysOf(db), personalFieldsOf(order), raw);
  // One time for the order's rows, bound: SQLite's strftime default, once per column of each row, was a
  // measurable part of a first sync.
  const now = new Date().toISOString();
  const row = {
    platform: order.platform,
    account_id: order.accountId,
    external_id: order.externalId,
    status: order.status,
    payment_status: order.paymentStatus,
    purchased_at: order.purchasedAt,
    remote_updated_at: order.updatedAt,
    ship_by: order.shipBy ?? null,
    currency: order.currency,
    total_minor: order.totalMinor,
    subtotal_minor: order.subtotalMinor ?? null,
    discount_minor: order.discountMinor ?? null,
    shipping_minor: order.shippingMinor ?? null,
    tax_minor: order.taxMinor ?? null,
    // Personal data is sealed at rest (AES-256-GCM); opened only where it is shown (orderPersonalData).
    buyer_name: sealed.buyer_name,
    buyer_email: sealed.buyer_email,
    buyer_username: sealed.buyer_username,
    buyer_username_kind: order.buyerUsernameKind ?? null,
    shipping_address: sealed.shipping_address,
    address_unavailable: order.addressUnavailable ? 1 : 0,
    gift_message: sealed.gift_message,
    buyer_note: sealed.buyer_note,
    flags: order.flags?.length ? JSON.stringify(order.flags) : null,
    now,
  };
  let orderId: number;
  if (existing) {
    orderId = existing.id;
    st.update.run({ ...row, id: orderId });
  } else {
    orderId = Number(st.insert.run(row).lastInsertRowid);
  }

  // A new order's lines are plain inserts (most of a first sync's rows); a changed one's are merged
  // with what is stored, as is a new one that names a line twice.
  const fresh = !existing && new Set(order.items.map((i) => i.externalLineId)).size === order.items.length;
  const items = order.items.map((item) => {
    const params = {
      order_id: orderId,
      external_line_id: item.externalLineId,
      sku: item.sku,
      sku_fallback: item.skuFallback ?? null,
      title: item.title,
      quantity: item.quantity,
      quantity_shipped: item.quantityShipped ?? 0,
      unit_price_minor: item.unitPriceMinor,
      personalization: item.personalization ?? null,
      variations: json(item.variations),
      listing_id: item.listingId ?? null,
      extra: json(item.extra),
      now,
    };
    if (fresh) return { id: Number(st.newItem.run(params).lastInsertRowid), externalLineId: item.externalLineId };
    const r = st.item.get(params)!;
    return { id: r.id, externalLineId: r.external_line_id };
  });

  st.payload.run(orderId, sealed.payload, now);

  return {
    orderId,
    change: existing ? 'updated' : 'inserted',
    previousStatus: existing?.status,
    status: order.status,
    items,
  };
}

/** When the stored copy of an order was last updated at the marketplace; undefined when not stored. */
export function storedOrderVersion(db: Db, platform: Order['platform'], accountId: string, externalId: string): string | undefined {
  return statements(db.$client).find.get(platform, accountId, externalId)?.remote_updated_at;
}

/** One stored line of an order, by the marketplace's ids (prepared: adapters ask this per line while paging). */
export function storedOrderLine(
  db: Db,
  platform: Order['platform'],
  accountId: string,
  externalId: string,
  externalLineId: string,
): { personalization: string | null; variations: Record<string, string> | null; extra: Record<string, unknown> | null } | undefined {
  const row = statements(db.$client).item_of.get(platform, accountId, externalId, externalLineId);
  if (!row) return undefined;
  return {
    personalization: row.personalization,
    variations: row.variations === null ? null : (JSON.parse(row.variations) as Record<string, string>),
    extra: row.extra === null ? null : (JSON.parse(row.extra) as Record<string, unknown>),
  };
}

export function getOrderItems(db: Db, orderId: number) {
  return db.select().from(orderItems).where(eq(orderItems.orderId, orderId)).all();
}

export function countOrders(db: Db): number {
  return db.select({ n: sql<number>`count(*)` }).from(orders).get()!.n;
}

export interface OrderPersonalData {
  buyerName: string | null;
  buyerUsername: string | null;
  buyerEmail: string | null;
  shippingAddress: Address | null;
  buyerNote: string | null;
  giftMessage: string | null;
}

/** An order's personal data, opened for showing it (the only place it is decrypted). */
export function orderPersonalData(
  db: Db,
  row: { buyerName: string | null; buyerUsername: string | null; buyerEmail: string | null; shippingAddress: string | null; buyerNote: string | null; giftMessage: string | null },
): OrderPersonalData {
  const keys = keysOf(db);
  const address = openText(keys, row.shippingAddress, 'orders.shipping_address');
  return {
    buyerName: openText(keys, row.buyerName, 'orders.buyer_name'),
    buyerUsername: openText(keys, row.buyerUsername, 'orders.buyer_username'),
    buyerEmail: openText(keys, row.buyerEmail, 'orders.buyer_email'),
    shippingAddress: address ? (JSON.parse(address) as Address) : null,
    buyerNote: openText(keys, row.buyerNote, 'orders.buyer_note'),
    giftMessage: openText(keys, row.giftMessage, 'orders.gift_message'),
  };
}

/** The raw payload an order was stored from, opened and decompressed (re-normalizing needs no re-fetch). */
export function orderPayload(db: Db, orderId: number): unknown {
  const row = db.$client.prepare('SELECT payload FROM order_payloads WHERE order_id = ?').get(orderId) as { payload: Buffer } | undefined;
  return row ? unpackPayload(openBytes(keysOf(db), row.payload, 'order_payloads.payload')) : undefined;
}
