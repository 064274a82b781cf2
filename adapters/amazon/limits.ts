import type { RateLimit } from '../types.ts';

/**
 * The usage plans published in each operation's description (orders_2026-01-01.json, ordersV0.json,
 * tokens_2021-03-01.json, sellers.json). Accounts may be granted more: every response's x-amzn-RateLimit-Limit
 * header carries the live rate, which the client follows.
 */
export const AMAZON_LIMITS = {
  searchOrders: { ratePerSecond: 0.0056, burst: 20 },
  getOrder: { ratePerSecond: 0.5, burst: 30 },
  confirmShipment: { ratePerSecond: 2, burst: 10 },
  createRestrictedDataToken: { ratePerSecond: 1, burst: 10 },
  getMarketplaceParticipations: { ratePerSecond: 0.016, burst: 15 }, // sellers.json (v1)
  // Not an SP-API operation: the Amazon Custom files sit on a download host with no published
  // limit. This keeps a page full of custom items from opening dozens of downloads at once; the
  // MARKETPLACE_API_RATE_LIMIT ceiling (meant for SP-API calls) does not slow it further.
  downloadCustomization: { ratePerSecond: 5, burst: 5, maxConcurrent: 4, notApiCall: true },
} as const satisfies Record<string, RateLimit>;

export type AmazonOperation = keyof typeof AMAZON_LIMITS;

/** A fresh copy per client: the limiter rewrites an operation's rate when Amazon reports another. */
export const amazonLimits = (): Record<string, RateLimit> =>
  Object.fromEntries(Object.entries(AMAZON_LIMITS).map(([op, l]) => [op, { ...l }]));
