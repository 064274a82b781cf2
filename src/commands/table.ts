import { echo } from '../input.ts';

/**
 * A plain-text table: one header line, one line per row, columns padded to their widest cell and
 * separated by two spaces; numbers align right. Cells are echoed, so text from a marketplace or an
 * operator cannot put control characters on the terminal.
 */
export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => head.map((_, i) => (r[i] === null || r[i] === undefined ? '' : echo(String(r[i]), 200))));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === '' || r[i] === undefined || r[i] === null));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  return [head, ...cells]
    .map((r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}
