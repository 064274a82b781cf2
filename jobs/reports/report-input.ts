import { z } from 'zod';
import { PLATFORMS } from '../../config/env.ts';
import { dateSchema, parseInput, singleLine } from '../../src/input.ts';

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
