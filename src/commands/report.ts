import type { Command } from 'commander';
import { productionRules } from '../../jobs/production/index.ts';
import { buildReport, type Report, type ReportRow } from '../../jobs/reports/report.ts';
import { parseReportQuery } from '../../jobs/reports/report-input.ts';
import { printJson, tableLines } from './columns.ts';
import { withDatabase } from './database.ts';
import { money } from './orders.ts';

const percent = (share: number | null) => (share === null ? '-' : `${Math.round(share * 100)}%`);
const hours = (h: number | null) => (h === null ? '-' : h.toFixed(1));

/** One line per row, and one more per further currency of its revenue (under the revenue column). */
function reportLines(rows: ReportRow[]): string[][] {
  return rows.flatMap((r) => {
    const [first, ...more] = r.revenue;
    const line = [
      r.day === 'all' ? 'total' : r.day,
      r.platform,
      String(r.orders),
      String(r.units),
      first ? money(first.minor, first.currency) : '-',
      percent(r.printShare),
      hours(r.medianShipHours),
      String(r.late),
      String(r.atRisk),
    ];
    return [line, ...more.map((m) => ['', '', '', '', money(m.minor, m.currency), '', '', '', ''])];
  });
}

export function printReport(report: Report): void {
  console.log(`orders placed since ${report.since.slice(0, 10)} (UTC days; cancelled and unpaid orders left out)`);
  if (report.rows.length === 0 && report.totals.length === 0) return console.log('no orders in this period');
  const lines = tableLines(
    [
      { head: 'day' },
      { head: 'platform' },
      { head: 'orders', align: 'right' },
      { head: 'units', align: 'right' },
      { head: 'revenue', align: 'right' },
      { head: '3dp', align: 'right' },
      { head: 'ship h', align: 'right' },
      { head: 'late', align: 'right' },
      { head: 'risk', align: 'right' },
    ],
    [...reportLines(report.rows), ...reportLines(report.totals)],
  );
  // A rule between the days and the totals.
  const [head, ...body] = lines;
  const split = reportLines(report.rows).length;
  for (const l of [head!, ...body.slice(0, split), '-'.repeat(Math.min(80, head!.length)), ...body.slice(split)]) console.log(l);
  console.log('3dp: share of lines with print work. ship h: median hours from purchase to the');
  console.log('first shipment. late: shipped after ship-by. risk: print jobs at risk now.');
}

/** CSV: one line per platform and day, a revenue column per currency (decimal amounts). */
export function reportCsv(report: Report): string {
  const currencies = [...new Set([...report.rows, ...report.totals].flatMap((r) => r.revenue.map((m) => m.currency)))].sort();
  const head = ['day', 'platform', 'orders', 'cancelled', 'units', 'items', 'print_items', 'print_share', ...currencies.map((c) => `revenue_${c}`), 'shipped', 'median_ship_hours', 'late', 'at_risk'];
  const line = (r: ReportRow) => [
    r.day,
    r.platform,
    r.orders,
    r.cancelled,
    r.units,
    r.items,
    r.printItems,
    r.printShare === null ? '' : r.printShare.toFixed(4),
    ...currencies.map((c) => r.revenue.find((m) => m.currency === c)?.amount ?? ''),
    r.shipped,
    r.medianShipHours === null ? '' : r.medianShipHours.toFixed(2),
    r.late,
    r.atRisk,
  ];
  // Every value is a day, a platform name, a currency code or a number: nothing to quote.
  return [head, ...report.rows.map(line), ...report.totals.map(line)].map((l) => l.join(',')).join('\n');
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('sales per platform and day: orders, units, revenue, 3D-print share, ship times, late and at-risk work')
    .option('--days <n>', 'the last N days, today included (default 7)')
    .option('--csv', 'print CSV (one line per platform and day, then the totals)')
    .option('--json', 'print JSON')
    .action(async (o: { days?: string; csv?: boolean; json?: boolean }) => {
      const query = parseReportQuery({ days: o.days });
      await withDatabase((db, config) => {
        const report = buildReport(db, productionRules(config.productionRulesPath), query);
        if (o.json) printJson(report);
        else if (o.csv) console.log(reportCsv(report));
        else printReport(report);
      });
    });
}
