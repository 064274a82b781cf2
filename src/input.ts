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

/** A date or time in the past, as an operator types it: `2026-10-01` (UTC midnight) or a full ISO time. */
export const pastDate = z
  .string({ error: 'must be a date' })
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/, 'must be a date like 2026-10-01 or an ISO time like 2026-10-01T08:00:00Z')
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s))
  .refine((d) => !Number.isNaN(d.getTime()), 'is not a real date')
  .refine((d) => d.getTime() <= Date.now(), 'must not be in the future');

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
