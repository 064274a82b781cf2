import type { OrderStatus, Platform } from '../adapters/types.ts';
import type { Db } from './connection.ts';

/**
 * The read side of the data views: orders listed with filters, and the figures of the sales report.
 * Plain SQL over the stored orders (no personal data is read: it stays sealed).
 */

export interface OrderFilter {
  status?: OrderStatus;
  platform?: Platform;
  /** ISO time: orders placed at or after it. */
  since?: string;
  /** Part of an order number, SKU, item title or personalization. */
  search?: string;
  limit: number;
}

export interface OrderListRow {
  id: number;
  platform: Platform;
  accountId: string;
  orderNumber: string;
  status: OrderStatus;
  paymentStatus: string;
  currency: string;
  totalMinor: number;
  /** Units ordered (quantities summed) and order lines. */
  units: number;
  lines: number;
  shipBy: string | null;
  purchasedAt: string;
}

/** LIKE pattern for text to find anywhere, its wildcards taken literally. */
const contains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Orders, newest placed first. */
export function listOrders(db: Db, f: OrderFilter): OrderListRow[] {
  return db.$client
    .prepare(
      `SELECT o.id, o.platform, o.account_id AS accountId, o.external_id AS orderNumber, o.status, o.payment_status AS paymentStatus,
              o.currency, o.total_minor AS totalMinor,
              (SELECT coalesce(sum(i.quantity), 0) FROM order_items i WHERE i.order_id = o.id) AS units,
              (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS lines,
              o.ship_by AS shipBy, o.purchased_at AS purchasedAt
       FROM orders o
       WHERE (@status IS NULL OR o.status = @status)
         AND (@platform IS NULL OR o.platform = @platform)
         AND (@since IS NULL OR julianday(o.purchased_at) >= julianday(@since))
         AND (@like IS NULL OR o.external_id LIKE @like ESCAPE '\\' OR EXISTS (
               SELECT 1 FROM order_items i WHERE i.order_id = o.id
                 AND (i.sku LIKE @like ESCAPE '\\' OR i.title LIKE @like ESCAPE '\\' OR i.personalization LIKE @like ESCAPE '\\')))
       ORDER BY julianday(o.purchased_at) DESC, o.id DESC
       LIMIT @limit`,
    )
    .all({
      status: f.status ?? null,
      platform: f.platform ?? null,
      since: f.since ?? null,
      like: f.search ? contains(f.search) : null,
      limit: f.limit,
    }) as OrderListRow[];
}

/**
 * What counts as a sale: placed in the window and neither unpaid (pending) nor cancelled. Days are
 * UTC calendar days of the purchase time.
 */
const SOLD = `o.status IN ('unshipped', 'partially_shipped', 'shipped')`;
const IN_WINDOW = `julianday(o.purchased_at) >= julianday(@since)`;

export interface SalesFigures {
  platform: Platform;
  /** YYYY-MM-DD, or 'all' for the whole window. */
  day: string;
  orders: number;
  cancelled: number;
  units: number;
  /** Order lines of the orders sold, and those with 3D-print work (a print production item). */
  items: number;
  printItems: number;
  /** Orders with a recorded shipment; hours from purchase to the first one (median); shipped after ship-by. */
  shipped: number;
  medianShipHours: number | null;
  late: number;
}

export interface RevenueFigures {
  platform: Platform;
  day: string;
  currency: string;
  orders: number;
  /** Order totals summed, in integer minor units of the currency. */
  totalMinor: number;
}

/** Grouped per platform and purchase day, or per platform over the whole window. */
const dayOf = (perDay: boolean) => (perDay ? `date(o.purchased_at)` : `'all'`);

/** Orders, units, print share and purchase-to-ship times per platform (and day) since `since`. */
export function salesFigures(db: Db, since: string, perDay = true): SalesFigures[] {
  const day = dayOf(perDay);
  const counts = db.$client
    .prepare(
      `SELECT o.platform, ${day} AS day,
              sum(CASE WHEN ${SOLD} THEN 1 ELSE 0 END) AS orders,
              sum(CASE WHEN o.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled
       FROM orders o WHERE ${IN_WINDOW}
       GROUP BY o.platform, day`,
    )
    .all({ since }) as { platform: Platform; day: string; orders: number; cancelled: number }[];
  const items = db.$client
    .prepare(
      `SELECT o.platform, ${day} AS day, sum(i.quantity) AS units, count(*) AS items,
              sum(CASE WHEN EXISTS (SELECT 1 FROM production_items p WHERE p.order_item_id = i.id AND p.kind = 'print') THEN 1 ELSE 0 END) AS printItems
       FROM orders o JOIN order_items i ON i.order_id = o.id
       WHERE ${IN_WINDOW} AND ${SOLD}
       GROUP BY o.platform, day`,
    )
    .all({ since }) as { platform: Platform; day: string; units: number; items: number; printItems: number }[];
  // The first package out is when the order shipped (later ones finish a split order). Orders shipped
  // on the marketplace by other means have no recorded shipment, so no time of their own here.
  const shipping = db.$client
    .prepare(
      `WITH first_ship AS (
         SELECT o.id, o.platform, ${day} AS day, julianday(o.purchased_at) AS placed, julianday(o.ship_by) AS due,
                min(julianday(s.shipped_at)) AS shipped
         FROM orders o JOIN shipments s ON s.order_id = o.id
         WHERE ${IN_WINDOW} AND ${SOLD}
         GROUP BY o.id
       ), ranked AS (
         SELECT platform, day, (shipped - placed) * 24 AS hours, CASE WHEN due IS NOT NULL AND shipped > due THEN 1 ELSE 0 END AS late,
                row_number() OVER (PARTITION BY platform, day ORDER BY shipped - placed, id) AS rn,
                count(*) OVER (PARTITION BY platform, day) AS n
         FROM first_ship
       )
       SELECT platform, day, count(*) AS shipped, sum(late) AS late,
              avg(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN hours END) AS medianShipHours
       FROM ranked GROUP BY platform, day`,
    )
    .all({ since }) as { platform: Platform; day: string; shipped: number; late: number; medianShipHours: number }[];

  const key = (r: { platform: string; day: string }) => `${r.platform} ${r.day}`;
  const itemsBy = new Map(items.map((r) => [key(r), r]));
  const shipBy = new Map(shipping.map((r) => [key(r), r]));
  return counts.map((c) => {
    const i = itemsBy.get(key(c));
    const s = shipBy.get(key(c));
    return {
      platform: c.platform,
      day: c.day,
      orders: c.orders,
      cancelled: c.cancelled,
      units: i?.units ?? 0,
      items: i?.items ?? 0,
      printItems: i?.printItems ?? 0,
      shipped: s?.shipped ?? 0,
      medianShipHours: s?.medianShipHours ?? null,
      late: s?.late ?? 0,
    };
  });
}

/** Revenue (order totals of the orders sold) per platform, day and currency since `since`. */
export function revenueFigures(db: Db, since: string, perDay = true): RevenueFigures[] {
  return db.$client
    .prepare(
      `SELECT o.platform, ${dayOf(perDay)} AS day, o.currency, count(*) AS orders, sum(o.total_minor) AS totalMinor
       FROM orders o WHERE ${IN_WINDOW} AND ${SOLD}
       GROUP BY o.platform, day, o.currency
       ORDER BY o.platform, day, o.currency`,
    )
    .all({ since }) as RevenueFigures[];
}

/** Platform and purchase day of the given orders (at-risk production work is counted by its order). */
export function orderDays(db: Db, orderIds: number[]): Map<number, { platform: Platform; day: string; purchasedAt: string }> {
  if (orderIds.length === 0) return new Map();
  const rows = db.$client
    .prepare(`SELECT id, platform, date(purchased_at) AS day, purchased_at AS purchasedAt FROM orders WHERE id IN (SELECT value FROM json_each(?))`)
    .all(JSON.stringify([...new Set(orderIds)])) as { id: number; platform: Platform; day: string; purchasedAt: string }[];
  return new Map(rows.map((r) => [r.id, r]));
}
