import { parse } from 'csv-parse/sync';
import type { Db } from '../../db/connection.ts';
import type { Shipment } from '../../db/shipments.ts';
import { errorMessage } from '../../src/errors.ts';
import { recordShipment, type CarrierMapper } from './record.ts';

/** Header spellings label tools export, folded to our four fields. */
const COLUMNS: Record<string, 'order' | 'carrier' | 'tracking' | 'items' | 'date'> = {
  order: 'order', 'order number': 'order', 'order no': 'order', 'order id': 'order', 'order #': 'order', orderid: 'order', ordernumber: 'order', 'reference': 'order',
  carrier: 'carrier', 'carrier name': 'carrier', 'shipping carrier': 'carrier', courier: 'carrier', provider: 'carrier',
  tracking: 'tracking', 'tracking number': 'tracking', 'tracking no': 'tracking', 'tracking code': 'tracking', 'tracking #': 'tracking', trackingnumber: 'tracking',
  items: 'items', skus: 'items', 'items shipped': 'items',
  date: 'date', 'ship date': 'date', 'shipped at': 'date', 'shipped date': 'date', 'date shipped': 'date',
};
const fold = (h: string) => h.trim().toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ');

export interface CsvRowResult {
  row: number;
  order?: string;
  ok: boolean;
  shipment?: Shipment;
  error?: string;
}

class DryRunRollback extends Error {}

/**
 * One shipment per CSV row, each row in its own transaction: a bad row is reported and skipped,
 * the good rows land, nothing is half-written. With `dryRun` every row is validated the same
 * way and rolled back.
 */
export function importShipmentsCsv(db: Db, text: string, mapCarrier: CarrierMapper, opts: { dryRun?: boolean } = {}): CsvRowResult[] {
  const records = parse(text, { columns: (header: string[]) => header.map((h) => COLUMNS[fold(h)] ?? fold(h)), skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  if (records.length > 0 && (!('order' in records[0]!) || !('carrier' in records[0]!) || !('tracking' in records[0]!))) {
    throw new Error(`the CSV needs columns for order number, carrier and tracking number; found: ${Object.keys(records[0]!).join(', ')}`);
  }
  return records.map((r, i) => {
    const row = i + 2; // 1-based, after the header
    try {
      let shipment: Shipment | undefined;
      const record = () =>
        recordShipment(db, { order: r.order ?? '', carrier: r.carrier ?? '', tracking: r.tracking ?? '', items: r.items || undefined, shippedAt: r.date || undefined, source: 'csv' }, mapCarrier);
      if (opts.dryRun) {
        try {
          db.$client.transaction(() => {
            shipment = record();
            throw new DryRunRollback();
          })();
        } catch (err) {
          if (!(err instanceof DryRunRollback)) throw err;
        }
      } else {
        shipment = record();
      }
      return { row, order: r.order, ok: true, shipment };
    } catch (err) {
      return { row, order: r.order, ok: false, error: errorMessage(err) };
    }
  });
}
