import type { Command } from 'commander';
import { listOrders, type OrderListRow } from '../../db/reports.ts';
import { parseOrdersQuery } from '../../jobs/reports/report-input.ts';
import { minorToDecimal } from '../money.ts';
import { printJson, printTable, shortDay } from './columns.ts';
import { withDatabase } from './database.ts';

const STATUS_SHORT: Record<string, string> = { partially_shipped: 'partial' };

/** `1234.50 EUR`: integer minor units as the currency's decimals. */
export const money = (minor: number, currency: string) => `${minorToDecimal(minor, currency)} ${currency}`;

export function printOrders(rows: OrderListRow[]): void {
  if (rows.length === 0) return console.log('no orders match');
  printTable(
    [
      { head: 'order', shrink: true },
      { head: 'platform' },
      { head: 'status' },
      { head: 'total', align: 'right' },
      { head: 'qty', align: 'right' },
      { head: 'ship by' },
      { head: 'placed' },
    ],
    rows.map((r) => [r.orderNumber, r.platform, STATUS_SHORT[r.status] ?? r.status, money(r.totalMinor, r.currency), String(r.units), shortDay(r.shipBy), shortDay(r.purchasedAt)]),
  );
}

export function registerOrdersCommand(program: Command): void {
  program
    .command('orders')
    .description('orders, newest first (days in UTC; --json for every field)')
    .option('--status <status>', 'pending, unshipped, partially_shipped, shipped or cancelled')
    .option('--platform <platform>', 'amazon, ebay or etsy')
    .option('--since <date>', 'placed on or after: YYYY-MM-DD or an ISO time')
    .option('--search <text>', 'part of an order number, SKU, item title or personalization')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('--json', 'print JSON')
    .action(async (o: { status?: string; platform?: string; since?: string; search?: string; limit?: string; json?: boolean }) => {
      // Validated before anything is opened: a typo never waits for Redis.
      const { json, ...filters } = o;
      const query = parseOrdersQuery(filters);
      await withDatabase((db) => {
        const rows = listOrders(db, query);
        if (json) printJson(rows);
        else printOrders(rows);
      });
    });
}
