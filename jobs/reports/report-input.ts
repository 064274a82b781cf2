import { z } from 'zod';
import { PLATFORMS } from '../../config/env.ts';
import { parseInput, singleLine } from '../../src/input.ts';

/**
 * The inputs of the data views (orders, report), one schema each for the CLI's options and the HTTP
 * query string: both hand text, so numbers are read from digits here and nowhere else.
 */

export const ORDER_STATUSES = ['pending', 'unshipped', 'partially_shipped', 'shipped', 'cancelled'] as const;

/** Digits to a number (CLI options and query strings are text); anything else goes to the schema as is. */
const digits = (v: unknown) => (typeof v === 'string' && /^\s*\d{1,9}\s*$/.test(v) ? Number(v) : v);

const wholeNumber = (min: number, max: number, what: string) =>
  z.preprocess(
    digits,
    z
      .number({ error: `must be a whole number of ${what}` })
      .int(`must be a whole number of ${what}`)
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );

export const daysSchema = wholeNumber(1, 366, 'days');
export const limitSchema = wholeNumber(1, 1000, 'orders');
export const platformSchema = z.enum(PLATFORMS as [(typeof PLATFORMS)[number], ...(typeof PLATFORMS)[number][]], { error: `must be one of ${PLATFORMS.join(', ')}` });
export const statusSchema = z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` });

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A day (2026-03-01: its start, UTC) or a time (2026-03-01T14:00, UTC unless it names a zone), as an
 * ISO string. The day written must exist (Date would roll 2026-02-31 over into March).
 */
export const dateSchema = singleLine(40)
  .regex(ISO_DATE, 'must be a date: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]')
  .refine((s) => {
    const match = ISO_DATE.exec(s);
    if (!match) return true; // the pattern has said so already
    const [, y, m, d] = match.map(Number);
    const day = new Date(Date.UTC(y!, m! - 1, d!));
    return day.getUTCFullYear() === y && day.getUTCMonth() === m! - 1 && day.getUTCDate() === d;
  }, 'is not a day of the calendar')
  .transform((s, ctx) => {
    const m = ISO_DATE.exec(s)!;
    const text = m[4] === undefined ? `${s.slice(0, 10)}T00:00:00Z` : m[7] ? s.replace(' ', 'T') : `${s.replace(' ', 'T')}Z`;
    const t = Date.parse(text);
    if (Number.isNaN(t)) {
      ctx.addIssue({ code: 'custom', message: 'is not a time of day' });
      return z.NEVER;
    }
    return new Date(t).toISOString();
  });

/** `ordersync report --days N` and `GET /api/report?days=N`. */
export const reportQuerySchema = z.strictObject({ days: daysSchema.default(7) });
export type ReportQuery = z.output<typeof reportQuerySchema>;

/** `ordersync orders ...` and `GET /api/orders?...`. Search text matches order numbers, SKUs, titles, personalization. */
export const ordersQuerySchema = z.strictObject({
  status: statusSchema.optional(),
  platform: platformSchema.optional(),
  since: dateSchema.optional(),
  search: singleLine(100).optional(),
  limit: limitSchema.default(50),
});
export type OrdersQuery = z.output<typeof ordersQuerySchema>;

/** Drops keys whose value is undefined (commander sets none for an absent option, but a caller may). */
const defined = (input: unknown) =>
  input && typeof input === 'object' && !Array.isArray(input) ? Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) : input;

export const parseReportQuery = (input: unknown): ReportQuery => parseInput(reportQuerySchema, defined(input), 'query');
export const parseOrdersQuery = (input: unknown): OrdersQuery => parseInput(ordersQuerySchema, defined(input), 'query');
