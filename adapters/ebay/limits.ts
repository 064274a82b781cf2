import type { RateLimit } from '../types.ts';

/**
 * eBay publishes a per-application daily quota for the Sell Fulfillment API (100,000 calls a day
 * on eBay's "API call limits" page; neither definition states it) and no per-second figure. The
 * setup guide allows at most 4 requests in flight. The sustained 5/s keeps one account from
 * spending an hour's share of the day in a burst; the day limiter is the hard stop. Every
 * operation draws from the same buckets.
 */
export const EBAY_LIMIT: RateLimit = { ratePerSecond: 5, burst: 10, perDay: 100_000, maxConcurrent: 4 };

export const ebayLimits: Record<string, RateLimit> = { api: EBAY_LIMIT };
