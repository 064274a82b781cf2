import { setTimeout as delay } from 'node:timers/promises';
import { PermanentRemoteError } from '../../src/errors.ts';
import type { OrderPage } from '../types.ts';
import type { AmazonClient } from './client.ts';
import { hasCustomizedLines, readCustomizations } from './customization.ts';
import type { AmazonCustomization, AmazonOrder, AmazonRawOrder, GetOrderResponse, SearchOrdersResponse } from './wire.ts';

export const ORDERS_VERSION = '2026-01-01';
/** The slower stream that re-reads the trailing window for orders Amazon settled late. */
export const LATE_ORDERS_STREAM = 'late-orders';
/**
 * Once a day, every order still waiting to ship within the first sync's look-back: a few pages that
 * catch an order any read skipped (a token that is an offset skips one behind an order modified
 * meanwhile, and the late-orders window is only a day long).
 */
export const OPEN_ORDERS_STREAM = 'open-orders';
/** The fulfillment statuses of orders that still need work. */
const OPEN_STATUSES = ['UNSHIPPED', 'PARTIALLY_SHIPPED'];
/** searchOrders wants lastUpdatedBefore at least two minutes before the request; a little more for clock skew. */
const SETTLE_MS = 2 * 60_000 + 5_000;
/** Re-read this much before the cursor: changes Amazon published just behind it. */
const OVERLAP_MS = 2 * 60_000;
/**
 * FULFILLMENT (status, ship-by), PACKAGES (what is already confirmed), PROCEEDS (totals), and the
 * PII sets; Amazon leaves the PII fields out when the app lacks the role, and the order still lands.
 */
export const INCLUDED_DATA = ['FULFILLMENT', 'PACKAGES', 'PROCEEDS', 'BUYER', 'RECIPIENT'];

export interface FetchSettings {
  marketplaceIds: string[];
  pageSize: number;
  lateOrderWindowMs: number;
  /** How far back the very first sync reads. */
  initialLookbackMs: number;
  /** True when SQLite already holds this version of the order (its customization files need no re-download). */
  alreadyStored?: (orderId: string, lastUpdatedTime: string) => boolean;
  /**
   * Once an order's files are in, the orders whose files come in within this time (default 1 s) go
   * on with it, in one transaction: at most that much reading is lost to a kill mid-page, against
   * one transaction per order.
   */
  handOnEveryMs?: number;
  /** What a line's customization file said when it was read before (never downloaded twice). */
  alreadyRead?: (orderId: string, orderItemId: string) => AmazonCustomization | undefined;
  now?: () => number;
}

/**
 * One searchOrders page handed on order by order, as soon as each is read: orders with nothing to
 * download at once, together; each order with Amazon Custom files when its files are in (or have
 * failed, leaving the line pending). A kill mid-page keeps every order committed so far, and those
 * files are never downloaded again. Only the page's last part carries the page's cursor.
 */
async function* ordersAsRead(
  client: AmazonClient,
  s: FetchSettings,
  orders: AmazonOrder[],
  unchangedCursor: string,
  pageCursor: string,
): AsyncIterable<OrderPage<AmazonRawOrder>> {
  const ready: AmazonRawOrder[] = [];
  const downloading: Promise<Downloaded>[] = [];
  const settled: (Downloaded | undefined)[] = [];
  for (const order of orders) {
    const custom = order && !s.alreadyStored?.(order.orderId, order.lastUpdatedTime) && hasCustomizedLines(order);
    if (!custom) {
      ready.push({ order });
      continue;
    }
    const at = downloading.length;
    // Settled at once, so one that fails while an earlier one is awaited is not an unhandled rejection.
    downloading.push(
      readCustomizations(client, order, s.alreadyRead).then(
        (customizations) => (settled[at] = { raw: { order, customizations } }),
        (err: unknown) => (settled[at] = { err }),
      ),
    );
  }
  if (ready.length > 0 || downloading.length === 0) {
    yield downloading.length ? { orders: ready, nextCursor: unchangedCursor, continues: true } : { orders: ready, nextCursor: pageCursor };
  }
  // In page order: the next order with its files, and every later one whose files are in within
  // handOnEveryMs (one transaction for them, not one per order); a failure ends the page after
  // the orders read before it.
  let next = 0;
  while (next < downloading.length) {
    const batch: Downloaded[] = [await downloading[next++]!];
    if (next < downloading.length) await settledOrTimeout(downloading.slice(next), s.handOnEveryMs ?? 1_000);
    while (next < downloading.length && settled[next]) batch.push(settled[next++]!);
    const failed = batch.findIndex((d) => 'err' in d);
    const read = (failed < 0 ? batch : batch.slice(0, failed)).map((d) => (d as { raw: AmazonRawOrder }).raw);
    if (failed >= 0) {
      if (read.length > 0) yield { orders: read, nextCursor: unchangedCursor, continues: true };
      throw (batch[failed] as { err: unknown }).err;
    }
    yield next === downloading.length ? { orders: read, nextCursor: pageCursor } : { orders: read, nextCursor: unchangedCursor, continues: true };
  }
}

type Downloaded = { raw: AmazonRawOrder } | { err: unknown };

async function settledOrTimeout(pending: Promise<unknown>[], ms: number): Promise<void> {
  const timer = new AbortController();
  try {
    await Promise.race([Promise.all(pending), delay(ms, undefined, { signal: timer.signal }).catch(() => undefined)]);
  } finally {
    timer.abort();
  }
}

/**
 * Merchant-fulfilled orders updated in [cursor - overlap, now - 2 min], page by page via nextToken.
 * Amazon does not promise an order within the window, so no page but the last moves the cursor:
 * the last one stores the window's end, and a crash mid-way re-reads the window (harmlessly).
 * The late-orders and open-orders streams re-read their whole window instead of starting at a cursor.
 */
export async function* fetchAmazonOrders(
  client: AmazonClient,
  s: FetchSettings,
  cursor: string | null,
  stream = 'orders',
  until?: string,
): AsyncIterable<OrderPage<AmazonRawOrder>> {
  const now = s.now?.() ?? Date.now();
  const before = Math.min(now - SETTLE_MS, until ? Date.parse(until) : Infinity);
  // The late and open streams re-read a whole window each time; the regular poll starts at its cursor.
  const rereads = stream === LATE_ORDERS_STREAM || stream === OPEN_ORDERS_STREAM;
  const from =
    stream === LATE_ORDERS_STREAM
      ? now - s.lateOrderWindowMs
      : stream === OPEN_ORDERS_STREAM || !cursor || Number.isNaN(Date.parse(cursor))
        ? now - s.initialLookbackMs
        : Date.parse(cursor) - OVERLAP_MS;
  const after = new Date(Math.min(from, before)).toISOString();
  const query = {
    lastUpdatedAfter: after,
    lastUpdatedBefore: new Date(before).toISOString(),
    marketplaceIds: s.marketplaceIds,
    fulfilledBy: ['MERCHANT'],
    ...(stream === OPEN_ORDERS_STREAM ? { fulfillmentStatuses: OPEN_STATUSES } : {}),
    includedData: INCLUDED_DATA,
    maxResultsPerPage: s.pageSize,
  };
  const unchangedCursor = rereads ? query.lastUpdatedBefore : (cursor ?? after);

  let paginationToken: string | undefined;
  do {
    const page = await client.call<SearchOrdersResponse>('searchOrders', {
      endpoint: 'orders',
      version: ORDERS_VERSION,
      query: paginationToken ? { ...query, paginationToken } : query,
    });
    const orders = Array.isArray(page?.orders) ? page.orders : [];
    paginationToken = page?.pagination?.nextToken || undefined;
    const pageCursor = paginationToken ? unchangedCursor : (page?.lastUpdatedBefore ?? query.lastUpdatedBefore);
    yield* ordersAsRead(client, s, orders, unchangedCursor, pageCursor);
  } while (paginationToken);
}

/** getOrder (2026-01-01) with the given data sets. */
export async function getAmazonOrder(client: AmazonClient, orderId: string, includedData: string[]): Promise<AmazonOrder> {
  const res = await client.call<GetOrderResponse>('getOrder', { endpoint: 'orders', version: ORDERS_VERSION, path: { orderId }, query: { includedData } });
  if (!res?.order) throw new PermanentRemoteError(`Amazon getOrder ${orderId} answered without an order`);
  return res.order;
}

/**
 * One order read again as the poll reads it, with its Amazon Custom files: for an order stored while
 * a file could not be downloaded. getOrder hands out fresh download links, so an expired one heals.
 */
export async function rereadAmazonOrder(client: AmazonClient, orderId: string, alreadyRead?: FetchSettings['alreadyRead']): Promise<AmazonRawOrder> {
  const order = await getAmazonOrder(client, orderId, INCLUDED_DATA);
  return { order, customizations: await readCustomizations(client, order, alreadyRead) };
}
