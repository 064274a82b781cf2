import { z } from 'zod';
import { ValidationError } from './errors.ts';

/**
 * Building blocks of the input schemas shared by the HTTP API, the CLI and CSV imports: bounded
 * text without control characters, so nothing an operator types (or a spreadsheet exports) can
 * smuggle terminal escapes, NULs or right-to-left overrides into what we store, print or send.
 */

/** C0 and C1 controls, DEL, and the bidi overrides that make text display other than it is. */
const CONTROL_SINGLE = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
const CONTROL_SINGLE_ALL = new RegExp(CONTROL_SINGLE.source, 'g');
/** The same, but newlines and tabs are allowed (a note to the buyer). */
const CONTROL_MULTI = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

export const singleLine = (max: number) =>
  z
    .string({ error: 'must be text' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_SINGLE.test(s), 'must not contain control characters');

export const multiLine = (max: number) =>
  z
    .string({ error: 'must be text' })
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_MULTI.test(s), 'must not contain control characters');

/** A database id in a path or argument: digits only. */
export const idParam = z.string().regex(/^[1-9]\d{0,11}$/, 'must be a positive whole number').transform(Number);

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

/** A date or time not in the future (`backfill --since`), read as `dateSchema` reads it. */
export const pastDate = dateSchema.transform((iso) => new Date(iso)).refine((d) => d.getTime() <= Date.now(), 'must not be in the future');

/** Parses input with a schema; the first problem becomes a ValidationError naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // An unknown key is named as the field itself.
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const field = fieldPath(path) || what;
  const message = issue.code === 'unrecognized_keys' ? 'is not a field this request takes' : issue.message;
  throw new ValidationError(`${echo(field, 60)}: ${message}`, field);
}

/** A zod issue path as the field name a message shows: `items[2].sku`; empty for the root. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Text from input, for a message or a terminal: control characters shown as \u escapes, length bounded. */
export function echo(text: string, max = 80): string {
  const shown = text.replace(CONTROL_SINGLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return shown.length > max ? `${shown.slice(0, max)}…` : shown;
}
