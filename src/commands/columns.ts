import { echo } from '../input.ts';

/** A column of a terminal table: numbers align right; `shrink` columns give up width first. */
export interface Column {
  head: string;
  align?: 'left' | 'right';
  shrink?: boolean;
}

const WIDTH = 80;
const GAP = '  ';

/**
 * Lines of a table that fits `width` columns (an 80-column terminal): when the widest content does
 * not fit, the shrinkable columns are cut (with …) down to what is left. Cells are echoed, so text from
 * a marketplace cannot put control characters on the terminal.
 */
export function tableLines(columns: Column[], rows: string[][], width = WIDTH): string[] {
  const cells = rows.map((r) => r.map((c) => echo(c, 200)));
  const widths = columns.map((c, i) => Math.max(c.head.length, ...cells.map((r) => r[i]!.length)));
  let over = widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1) - width;
  for (let i = 0; over > 0 && i < columns.length; i++) {
    if (!columns[i]!.shrink) continue;
    const give = Math.min(over, widths[i]! - Math.max(columns[i]!.head.length, 6));
    if (give > 0) {
      widths[i]! -= give;
      over -= give;
    }
  }
  const fit = (text: string, i: number) => {
    const w = widths[i]!;
    const t = text.length > w ? `${text.slice(0, w - 1)}…` : text;
    return columns[i]!.align === 'right' ? t.padStart(w) : t.padEnd(w);
  };
  return [columns.map((c) => c.head), ...cells].map((r) => r.map(fit).join(GAP).trimEnd());
}

export function printTable(columns: Column[], rows: string[][], width = WIDTH): void {
  for (const line of tableLines(columns, rows, width)) console.log(line);
}

/** An ISO time as `YYYY-MM-DD HH:MM` (UTC), or `-`. */
export const shortTime = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString().slice(0, 16).replace('T', ' ') : '-');
/** An ISO time as its UTC day, or `-`. */
export const shortDay = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString().slice(0, 10) : '-');

export const printJson = (value: unknown) => console.log(JSON.stringify(value, null, 2));
