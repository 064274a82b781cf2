import type { OrderPage } from '../types.ts';
import type { EbayClient } from './client.ts';
import type { EbayOrder, EbayOrderPage } from './wire.ts';

/** getOrders allows 1..200 per page (v1.20.4; more is an error). */
export const EBAY_MAX_PAGE_SIZE = 200;
/** Re-read this much before the cursor: eBay's search index lags its writes a little. */
const OVERLAP_MS = 5 * 60_000;

export interface EbayFetchSettings {
  pageSize: number;
  /** How far back the first sync reads. */
  initialLookbackMs: number;
  now?: () => number;
}

/**
 * Orders modified since the cursor, through getOrders with `lastmodifieddate:[since..]` and offset
 * paging until eBay leaves out `next`. The range has no upper end on purpose: an order modified
 * while we page stays in the result (at worst read twice) instead of dropping out and shifting
 * the offsets past an unread order. The new cursor is the time this poll started, stored only
 * with the last page, so a poll cut short starts over from the old one.
 */
export async function* fetchEbayOrders(client: EbayClient, settings: EbayFetchSettings, cursor: string | null, until?: string): AsyncIterable<OrderPage<EbayOrder>> {
  const startedAt = until ?? new Date((settings.now ?? Date.now)()).toISOString();
  const from = cursor ? Date.parse(cursor) - OVERLAP_MS : Date.parse(startedAt) - settings.initialLookbackMs;
  // A backfill window is closed (`until`); the regular poll's range stays open, as said above.
  const filter = `lastmodifieddate:[${new Date(from).toISOString()}..${until ? new Date(until).toISOString() : ''}]`;
  const limit = Math.min(settings.pageSize, EBAY_MAX_PAGE_SIZE);
  const unchangedCursor = cursor ?? new Date(from).toISOString();
  // In a closed window, an order modified while we page leaves the result and shifts the offsets
  // past one we have not read: when eBay's total moved between the first and the last page, the
  // window is read again (the upserts make a second read harmless), a few times at most.
  for (let read = 1; ; read++) {
    let firstTotal: number | undefined;
    for (let offset = 0; ; offset += limit) {
      const page = await client.call<EbayOrderPage>('getOrders', (api) => api.sell.fulfillment.getOrders({ filter, limit, offset }));
      const orders = Array.isArray(page?.orders) ? page.orders : [];
      firstTotal ??= page?.total;
      const last = !page?.next || orders.length === 0;
      const shifted = !!until && last && page?.total !== firstTotal && read < 3;
      yield { orders, nextCursor: last && !shifted ? startedAt : unchangedCursor };
      if (shifted) break;
      if (last) return;
    }
  }
}
