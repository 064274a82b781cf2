/**
 * Orders two strings by their UTF-16 code units, as `<` does: for identifiers and ISO 8601 timestamps
 * that is their natural order, the same on every machine. `localeCompare` would sort by the locale's
 * collation instead, and its first call loads ICU's collation data (about 3 MB of resident memory,
 * measured in a bare node) into a worker that otherwise never needs it.
 */
export const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
