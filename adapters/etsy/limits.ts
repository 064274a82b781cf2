import type { RateLimit } from '../types.ts';

/**
 * Etsy Open API v3 limits per app: 10 requests/second and 10,000/day (the setup guide; the
 * definition states none). Etsy also reports live figures in x-limit-per-second,
 * x-remaining-this-second, x-limit-per-day and x-remaining-today, which the client follows.
 * Every operation draws from the same app-wide buckets.
 */
export const ETSY_LIMIT: RateLimit = { ratePerSecond: 10, burst: 10, perDay: 10_000 };

export const etsyLimits: Record<string, RateLimit> = { api: ETSY_LIMIT };
