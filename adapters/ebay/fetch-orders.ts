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

/** Reads of one range at most, when orders moved while it was paged (then the cursor moves anyway). */
const MAX_READS = 3;

/**
 * Orders modified since the cursor, through getOrders with `lastmodifieddate:[since..]` and offset
 * paging until eBay leaves out `next`. The new cursor is the time this poll started, stored only
 * with the last page, so a poll cut short starts over from the old one.
 *
 * Offsets are only safe while the result holds still, and eBay does not say how it sorts. An order
 * modified while we page either stays in the open range (the regular poll: it comes back with a
 * modification time after this read started) or leaves the closed one (a backfill window: eBay's
 * `total` moves). Either way the orders behind it may have shifted past an offset we already read,
 * so the range is read again, a few times at most; the upserts make a second read harmless.
 */
export async function* fetchEbayOrders(client: EbayClient, settings: EbayFetchSettings, cursor: string | null, until?: string): AsyncIterable<OrderPage<EbayOrder>> {
  const startedAt = until ?? new Date((settings.now ?? Date.now)()).toISOString();
  const from = cursor ? Date.parse(cursor) - OVERLAP_MS : Date.parse(startedAt) - settings.initialLookbackMs;
  const filter = `lastmodifieddate:[${new Date(from).toISOString()}..${until ? new Date(until).toISOString() : ''}]`;
  const limit = Math.min(settings.pageSize, EBAY_MAX_PAGE_SIZE);
  const unchangedCursor = cursor ?? new Date(from).toISOString();
  for (let read = 1; ; read++) {
    const readStarted = read === 1 ? Date.parse(startedAt) : (settings.now ?? Date.now)();
    let firstTotal: number | undefined;
    let moved = false;
    for (let offset = 0; ; offset += limit) {
      const page = await client.call<EbayOrderPage>('getOrders', (api) => api.sell.fulfillment.getOrders({ filter, limit, offset }));
      const orders = Array.isArray(page?.orders) ? page.orders : [];
      firstTotal ??= page?.total;
      if (offset > 0 || page?.next) {
        moved ||= until ? page?.total !== firstTotal : orders.some((o) => Date.parse(o?.lastModifiedDate ?? '') > readStarted);
      }
      const last = !page?.next || orders.length === 0;
      const again = last && moved && read < MAX_READS;
      yield { orders, nextCursor: last && !again ? startedAt : unchangedCursor };
      if (again) break;
      if (last) return;
    }
  }
}
