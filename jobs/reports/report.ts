import type { Platform } from '../../adapters/types.ts';
import type { ProductionRules } from '../../config/production.ts';
import type { Db } from '../../db/connection.ts';
import { orderDays, revenueFigures, salesFigures, type SalesFigures } from '../../db/reports.ts';
import { compareCodeUnits } from '../../src/compare.ts';
import { minorToDecimal } from '../../src/money.ts';
import { productionView } from '../production/lifecycle.ts';

export interface Revenue {
  currency: string;
  orders: number;
  /** Integer minor units of the currency, and the same as a decimal string. */
  minor: number;
  amount: string;
}

export interface ReportRow extends SalesFigures {
  revenue: Revenue[];
  /** printItems / items (null without items). */
  printShare: number | null;
  /** Print jobs of these orders at risk of missing their ship-by now (the production schedule). */
  atRisk: number;
}

export interface Report {
  days: number;
  /** Start of the window: midnight UTC, `days - 1` days before today. */
  since: string;
  generatedAt: string;
  /** Per platform and UTC purchase day, oldest day first. */
  rows: ReportRow[];
  /**
   * Per platform over the window (median over all of its shipped orders). `atRisk` here counts every
   * open print job of the platform at risk now, whatever day its order was placed.
   */
  totals: ReportRow[];
}

export function windowStart(days: number, now = new Date()): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - (days - 1) * 86_400_000).toISOString();
}

/**
 * The sales report of the last `days` days: per platform and day, orders sold, units, revenue per
 * currency, 3D-print share, purchase-to-ship time, late shipments and print work at risk.
 */
export function buildReport(db: Db, rules: ProductionRules, opts: { days: number; now?: Date }): Report {
  const now = opts.now ?? new Date();
  const since = windowStart(opts.days, now);

  // At-risk work, by its order: the day row of the order (in the window) and the platform's total.
  const atRisk = productionView(db, rules, now).filter((r) => r.schedule?.atRisk);
  const placed = orderDays(db, atRisk.map((r) => r.orderId));
  const riskByDay = new Map<string, number>();
  const riskByPlatform = new Map<string, number>();
  for (const r of atRisk) {
    const o = placed.get(r.orderId);
    if (!o) continue;
    riskByPlatform.set(o.platform, (riskByPlatform.get(o.platform) ?? 0) + 1);
    if (Date.parse(o.purchasedAt) >= Date.parse(since)) riskByDay.set(`${o.platform} ${o.day}`, (riskByDay.get(`${o.platform} ${o.day}`) ?? 0) + 1);
  }

  const assemble = (perDay: boolean, risk: (platform: Platform, day: string) => number): ReportRow[] => {
    const revenue = revenueFigures(db, since, perDay);
    return salesFigures(db, since, perDay)
      .map((s) => ({
        ...s,
        revenue: revenue
          .filter((r) => r.platform === s.platform && r.day === s.day)
          .map((r) => ({ currency: r.currency, orders: r.orders, minor: r.totalMinor, amount: minorToDecimal(r.totalMinor, r.currency) })),
        printShare: s.items ? s.printItems / s.items : null,
        atRisk: risk(s.platform, s.day),
      }))
      .sort((a, b) => compareCodeUnits(a.day, b.day) || compareCodeUnits(a.platform, b.platform));
  };

  const rows = assemble(true, (p, d) => riskByDay.get(`${p} ${d}`) ?? 0);
  const totals = assemble(false, (p) => riskByPlatform.get(p) ?? 0);
  // A platform with work at risk but no order in the window still shows its risk.
  for (const [platform, n] of riskByPlatform) {
    if (!totals.some((t) => t.platform === platform)) {
      totals.push({ platform: platform as Platform, day: 'all', orders: 0, cancelled: 0, units: 0, items: 0, printItems: 0, shipped: 0, medianShipHours: null, late: 0, revenue: [], printShare: null, atRisk: n });
    }
  }
  return { days: opts.days, since, generatedAt: now.toISOString(), rows, totals };
}
