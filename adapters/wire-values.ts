import { BadPayloadError } from '../src/errors.ts';

/** An ISO 8601 date-time string from the wire, normalized; BadPayloadError naming the field otherwise. */
export function isoDateTime(value: unknown, field: string): string {
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw new BadPayloadError(field, value === undefined ? 'missing' : `"${String(value)}" is not a date-time`);
  return new Date(t).toISOString();
}
