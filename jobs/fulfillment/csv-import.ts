import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CsvError, parse } from 'csv-parse';
import { withWriteRetry, type Db } from '../../db/connection.ts';
import type { Shipment } from '../../db/shipments.ts';
import { errorMessage, ValidationError } from '../../src/errors.ts';
import { echo } from '../../src/input.ts';
import { recordShipment, type CarrierMapper, type ImportClaims } from './record.ts';

type Field = 'order' | 'carrier' | 'tracking' | 'items' | 'date';

/** Header spellings label tools export, folded to our five fields. */
const COLUMNS: Record<string, Field> = {
  order: 'order', 'order number': 'order', 'order no': 'order', 'order id': 'order', 'order #': 'order', orderid: 'order', ordernumber: 'order', reference: 'order',
  carrier: 'carrier', 'carrier name': 'carrier', 'shipping carrier': 'carrier', courier: 'carrier', provider: 'carrier',
  tracking: 'tracking', 'tracking number': 'tracking', 'tracking no': 'tracking', 'tracking code': 'tracking', 'tracking #': 'tracking', trackingnumber: 'tracking',
  items: 'items', skus: 'items', 'items shipped': 'items',
  date: 'date', 'ship date': 'date', 'shipped at': 'date', 'shipped date': 'date', 'date shipped': 'date',
};
const fold = (h: string) => h.trim().toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ');

/**
 * A batch holds SQLite's write lock at most this long (or this many rows), then pauses longer than a
 * waiting process's busy handler sleeps between tries (up to 100 ms), so the running worker's polls
 * get the lock in between, well inside their 5 s busy_timeout, instead of failing "database is locked".
 */
const BATCH_MAX_MS = 100;
const BATCH_MAX_ROWS = 1000;
const BATCH_PAUSE_MS = 120;
/** A row longer than this is not a shipment; csv-parse refuses it rather than buffering it. */
const MAX_RECORD_BYTES = 64 * 1024;

export interface CsvRowResult {
  row: number;
  order?: string;
  ok: boolean;
  shipment?: Shipment;
  error?: string;
}

export interface CsvImportSummary {
  ok: number;
  bad: number;
}

/** The header row to a column -> field map; duplicate and unknown headers are refused by name. */
function columnsOf(raw: string[]): (Field | undefined)[] {
  const seen = new Map<Field, string>();
  // Spreadsheets export empty columns after the last one: those are not headers.
  let end = raw.length;
  while (end > 0 && raw[end - 1]!.trim() === '') end -= 1;
  const header = raw.slice(0, end);
  const fields = header.map((h) => {
    const key = fold(h);
    const field = Object.hasOwn(COLUMNS, key) ? COLUMNS[key] : undefined;
    if (!field) {
      throw new ValidationError(`the CSV header "${echo(h, 40)}" is not a column this import knows; use: order number, carrier, tracking number, items, ship date`, 'header');
    }
    const earlier = seen.get(field);
    if (earlier !== undefined) throw new ValidationError(`the CSV headers "${echo(earlier, 40)}" and "${echo(h, 40)}" both mean ${field}; keep one`, 'header');
    seen.set(field, h);
    return field;
  });
  const missing = (['order', 'carrier', 'tracking'] as const).filter((f) => !seen.has(f));
  if (missing.length) throw new ValidationError(`the CSV needs columns for order number, carrier and tracking number; missing: ${missing.join(', ')}`, 'header');
  return fields;
}

class DryRunRollback extends Error {}

/**
 * One shipment per CSV row, streamed: memory stays flat whatever the file's size. Each row is
 * validated exactly as the API validates a request; a bad row is reported (its text escaped) and
 * skipped, the good rows land. Rows commit in short batches (each row its own savepoint), with a
 * pause between batches so the running worker is never locked out. Rows already claimed earlier in
 * the file count for later rows in a dry run too, so a dry run says what the real run will do.
 * `onRow` hears of each row once its batch is committed (or, in a dry run, validated).
 */
export async function importShipmentsCsv(
  db: Db,
  input: Readable | string,
  mapCarrier: CarrierMapper,
  opts: { dryRun?: boolean; onRow?: (r: CsvRowResult) => void | Promise<void> } = {},
): Promise<CsvImportSummary> {
  const source = typeof input === 'string' ? Readable.from([input]) : input;
  const parser = source.pipe(parse({ skip_empty_lines: true, trim: true, bom: true, relax_column_count: true, max_record_size: MAX_RECORD_BYTES }));
  const claims: ImportClaims = { quantities: new Map(), rolledBack: opts.dryRun === true, trackings: new Set() };
  const summary: CsvImportSummary = { ok: 0, bad: 0 };
  let fields: (Field | undefined)[] | undefined;
  let rowNumber = 1;
  let batch: { row: number; record: Partial<Record<Field, string>>; refused?: string }[] = [];

  const runBatch = async () => {
    const results: CsvRowResult[] = [];
    const carried: typeof batch = [];
    const started = performance.now();
    const apply = db.$client.transaction(() => {
      results.length = 0; // a retried batch starts over
      carried.length = 0;
      for (const { row, record, refused } of batch) {
        if (performance.now() - started > BATCH_MAX_MS) {
          carried.push({ row, record, refused });
          continue;
        }
        const order = record.order;
        if (refused) {
          results.push({ row, ok: false, error: refused });
          continue;
        }
        try {
          const shipment = db.$client.transaction(() =>
            recordShipment(
              db,
              { order: record.order ?? '', carrier: record.carrier ?? '', tracking: record.tracking ?? '', items: record.items || undefined, shippedAt: record.date || undefined, source: 'csv' },
              mapCarrier,
              claims,
            ),
          )();
          results.push({ row, order, ok: true, shipment });
        } catch (err) {
          results.push({ row, order, ok: false, error: errorMessage(err) });
        }
      }
      if (opts.dryRun) throw new DryRunRollback();
    });
    try {
      await withWriteRetry(() => apply.immediate());
    } catch (err) {
      if (!(err instanceof DryRunRollback)) throw err;
    }
    batch = carried; // rows the time limit left for the next batch
    for (const r of results) {
      if (r.ok) summary.ok += 1;
      else summary.bad += 1;
      await opts.onRow?.(r);
    }
    await sleep(BATCH_PAUSE_MS);
  };

  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      if (!fields) {
        fields = columnsOf(cells);
        continue;
      }
      rowNumber += 1;
      // More cells than headers: an unquoted comma (SKU1:1,SKU2:1) split a value; taking part of it would
      // record a different shipment than meant.
      const extra = cells.slice(fields.length).some((c) => c.trim() !== '');
      if (extra) {
        batch.push({ row: rowNumber, record: {}, refused: `the row has more cells than the header has columns (${cells.length} for ${fields.length}); quote a value that holds commas` });
        if (batch.length >= BATCH_MAX_ROWS) await runBatch();
        continue;
      }
      const record: Partial<Record<Field, string>> = {};
      fields.forEach((f, i) => {
        if (f && cells[i] !== undefined) record[f] = cells[i];
      });
      batch.push({ row: rowNumber, record });
      if (batch.length >= BATCH_MAX_ROWS) await runBatch();
    }
  } catch (err) {
    // A file csv-parse cannot read (a stray quote, a line past the size limit): the rows before it
    // stand as reported; the rest is refused with the line named.
    if (err instanceof CsvError) throw new ValidationError(`the CSV cannot be read at line ${(err as CsvError & { lines?: number }).lines ?? '?'}: ${echo(err.message, 200)}`, 'csv');
    throw err;
  }
  while (batch.length) await runBatch();
  return summary;
}
