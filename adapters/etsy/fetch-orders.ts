import type { OrderPage } from '../types.ts';
import type { EtsyClient } from './client.ts';
import type { EtsyReceipt, EtsyReceiptList } from './wire.ts';

const MAX_PAGE_SIZE = 100; // getShopReceipts allows 1..100
/** Re-read this much before the cursor: receipts updated in the same second as the last poll. */
const OVERLAP_SECONDS = 120;

/**
 * Shop receipts modified since the cursor (an ISO time), oldest first. Pages by update time rather
 * than a growing offset: a receipt modified while we page moves to the end of an offset-paged list
 * and would shift the rest, so each request starts at the newest update time seen so far and skips
 * only the receipts already read at exactly that second.
 */
export async function* fetchEtsyReceipts(
  client: EtsyClient,
  shopId: string,
  cursor: string | null,
  pageSize = MAX_PAGE_SIZE,
  until?: string,
): AsyncIterable<OrderPage<EtsyReceipt>> {
  const max = until ? { max_last_modified: Math.floor(Date.parse(until) / 1000) } : {};
  let since = cursor ? Math.floor(Date.parse(cursor) / 1000) - OVERLAP_SECONDS : 0;
  let seenAtSince = new Set<number>();
  for (;;) {
    const page = await client.request<EtsyReceiptList>('getShopReceipts', {
      method: 'GET',
      url: `/v3/application/shops/${shopId}/receipts`,
      params: {
        min_last_modified: since,
        ...max,
        limit: pageSize,
        offset: seenAtSince.size,
        sort_on: 'updated',
        sort_order: 'asc',
      },
    });
    const results = Array.isArray(page?.results) ? page.results : [];
    const fresh = results.filter((r) => !(r?.updated_timestamp === since && seenAtSince.has(r.receipt_id)));
    if (fresh.length === 0) return;
    const newest = Math.max(...results.map((r) => (typeof r?.updated_timestamp === 'number' ? r.updated_timestamp : since)));
    if (newest > since) {
      since = newest;
      seenAtSince = new Set();
    }
    for (const r of results) if (r?.updated_timestamp === since) seenAtSince.add(r.receipt_id);
    yield { orders: fresh, nextCursor: new Date(since * 1000).toISOString() };
    if (results.length < pageSize) return;
  }
}
