import { z } from 'zod';
import { multiLine, parseInput, singleLine } from '../../src/input.ts';

/** "3DP-A:2,STICKER:1" -> [{ sku, quantity }], for the CLI's --items and a CSV's items column. */
function itemsFromText(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  if (!text.trim()) return undefined;
  return text.split(',').map((part) => {
    const m = /^\s*(.+?)\s*(?::\s*([^:]*?))?\s*$/.exec(part);
    return { sku: m?.[1] ?? part, quantity: m?.[2] === undefined ? 1 : /^\d+$/.test(m[2]) ? Number(m[2]) : m[2] };
  });
}

/** Parses, and the calendar day written is the day parsed (Date rolls 2026-02-31 over into March). */
function isRealDate(s: string): boolean {
  const t = Date.parse(s);
  if (Number.isNaN(t)) return false;
  const [y, m, d] = s.slice(0, 10).split('-').map(Number);
  const local = new Date(y!, m! - 1, d!);
  return local.getFullYear() === y && local.getMonth() === m! - 1 && local.getDate() === d;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

const item = z.strictObject({
  sku: singleLine(128),
  quantity: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000'),
});

/**
 * A shipment as the API, the CLI and a CSV row give it: one schema for all three. Quantities are
 * positive whole numbers, texts bounded and free of control characters; whether the order exists,
 * the quantities are still open, the carrier is one the platform takes and the date lies between the
 * purchase and tomorrow is checked against the order (recordShipment).
 */
export const shipmentRequestSchema = z.strictObject({
  order: z.union([singleLine(64), z.number().int().positive().transform(String)], { error: 'must be our order id or the marketplace order number' }),
  carrier: singleLine(64).regex(/^[\p{L}\p{N}][\p{L}\p{N} .&'()/-]*$/u, "must be a carrier name: letters, digits, spaces and . & ' ( ) / -"),
  tracking: singleLine(64),
  items: z.preprocess(itemsFromText, z.array(item, { error: 'must be a list of { sku, quantity }' }).min(1, 'must not be empty').max(500, 'must list at most 500 items').optional()),
  shippedAt: z
    .string({ error: 'must be a date (2026-11-25) or an ISO time' })
    .trim()
    .regex(ISO_DATE, 'must be a date (2026-11-25) or an ISO time')
    .refine(isRealDate, 'is not a real date (2026-02-31 does not exist)')
    .optional(),
  note: multiLine(500).optional(),
});

export type ShipmentRequest = z.output<typeof shipmentRequestSchema>;

export const parseShipmentRequest = (input: unknown): ShipmentRequest => parseInput(shipmentRequestSchema, input, 'shipment');
