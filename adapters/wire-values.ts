import { decodeHTMLStrict } from 'entities';
import type { z } from 'zod';
import { BadPayloadError } from '../src/errors.ts';
import { fieldPath } from '../src/input.ts';
import type { Address } from './types.ts';

/** An ISO 8601 date-time string from the wire, normalized; BadPayloadError naming the field otherwise. */
export function isoDateTime(value: unknown, field: string): string {
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw new BadPayloadError(field, value === undefined ? 'missing' : `"${String(value)}" is not a date-time`);
  return new Date(t).toISOString();
}

/**
 * One value of a marketplace enum, looked up without regard to case or surrounding spaces (live Etsy
 * sends "Fully Refunded" where its definition says "fully refunded"). A value the table does not know
 * is never defaulted: it is a BadPayloadError naming the field, so the order is quarantined.
 */
export function wireEnum<T>(value: unknown, table: Readonly<Record<string, T>>, field: string): T {
  if (typeof value === 'string') {
    const key = value.trim().toLowerCase();
    for (const [name, mapped] of Object.entries(table)) if (name.toLowerCase() === key) return mapped;
  }
  const known = Object.keys(table).join(', ');
  throw new BadPayloadError(field, value === undefined || value === null ? `missing (expected one of ${known})` : `unknown value "${String(value)}" (expected one of ${known})`);
}

/** Case-insensitive equality of two enum values from the wire. */
export const sameEnum = (a: unknown, b: string) => typeof a === 'string' && a.trim().toLowerCase() === b.toLowerCase();

/**
 * Text a marketplace sends HTML-escaped ("Mom&#39;s mug", "&quot;Zoë&quot;"), decoded once to what the
 * buyer or seller typed: that is what ops see and what gets printed. Strict decoding: only complete
 * entities (with the semicolon) are decoded, so "R&D" or a buyer's literal "&amp" stay as they are, and
 * "&amp;quot;" becomes "&quot;", never a quote (a second decode would change what the buyer typed).
 */
export function unescapeHtml(value: string): string;
export function unescapeHtml(value: string | null | undefined): string | undefined;
export function unescapeHtml(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.includes('&') ? decodeHTMLStrict(value) : value;
}

/** A text field as sent (no escaping to undo): trimmed, and undefined when blank. */
export const plainText = (value: string | null | undefined): string | undefined => (typeof value === 'string' ? value.trim() || undefined : undefined);

/** A display text field: unescaped, trimmed, and undefined when blank. */
export const displayText = (value: string | null | undefined): string | undefined => unescapeHtml(value)?.trim() || undefined;

/** An address with each field trimmed and blank ones left out (never stored as empty strings). */
export function compactAddress(fields: { [K in keyof Address]?: string | null }): Address {
  const out: Address = {};
  for (const [k, v] of Object.entries(fields)) {
    const text = typeof v === 'string' ? v.trim() : '';
    if (text) out[k as keyof Address] = text;
  }
  return out;
}

/**
 * A raw marketplace payload checked against its wire schema (the types of every field the mapper
 * reads; unknown fields pass). The first mismatch is a BadPayloadError naming the field, so a live
 * API sending a number where a string was, or null for a list, quarantines the order instead of
 * crashing the page.
 */
export function parseWire<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = fieldPath(issue.path) || '(order)';
  throw new BadPayloadError(field, issue.code === 'invalid_type' && issue.input === undefined ? 'missing' : issue.message);
}
