import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/env.ts';
import { loadProductionRules, parseProductionRules } from '../../config/production.ts';
import { classifyItem } from '../../jobs/production/classify.ts';
import { scheduleJobs } from '../../jobs/production/schedule.ts';
import type { OrderItem } from '../../adapters/types.ts';

const rules = loadProductionRules();
const item = (sku: string, extra: Partial<OrderItem> = {}): OrderItem => ({ externalLineId: sku, sku, title: sku, quantity: 1, unitPriceMinor: 100, ...extra });

describe('production rules (the sample file)', () => {
  it('classifies a mixed order with the rule and the reason', () => {
    const cases: [OrderItem, string, string, string][] = [
      [item('3DP-PLANTER-S', { variations: { Color: 'Blue' } }), 'print', 'print-sku-prefix', 'sku matches ^3DP-'],
      [item('STICKER-PACK'), 'pack', 'regular-stock', 'no earlier rule matched'],
      [item('LEGACY-1', { title: 'Hand-finished 3D printed vase' }), 'print', 'print-title-keywords', 'title contains "3d printed"'],
      [item('GIFT-CARD-PRINTED', { title: 'Printed gift card' }), 'pack', 'regular-stock', 'no earlier rule matched'],
    ];
    for (const [it_, kind, rule, reason] of cases) expect(classifyItem(it_, 'etsy', rules)).toMatchObject({ kind, rule, reason });
  });

  it('resolves variations through the variant map and estimates from the profile', () => {
    const blue = classifyItem(item('3DP-PLANTER-S', { quantity: 3, variations: { Color: 'Blue' } }), 'amazon', rules);
    expect(blue.profile).toMatchObject({ partFile: 'planter-small.3mf', colour: 'Blue', material: 'PETG', plates: 2, grams: 255 });
    expect(blue.estimateMinutes).toBe(285);
    const large = classifyItem(item('3DP-NAMESIGN', { variations: { Size: 'Large' } }), 'etsy', rules);
    expect(large.profile).toMatchObject({ partFile: 'namesign-large.3mf', minutesPerUnit: 140 });
    expect(classifyItem(item('ACME-KEYCHAIN'), 'ebay', rules).flags).toEqual([]); // no print rule matches ACME-*: packed
  });

  it('flags what it cannot resolve instead of guessing', () => {
    const teal = classifyItem(item('3DP-PLANTER-S', { variations: { Color: 'Teal' } }), 'etsy', rules);
    expect(teal.flags).toEqual(['variation not mapped: Color=Teal']);
    expect(teal.profile?.colour).toBe('White');
    const unknown = classifyItem(item('3DP-NEW-THING', { quantity: 2 }), 'etsy', rules);
    expect(unknown).toMatchObject({ kind: 'print', estimateMinutes: 180, flags: ['estimate missing: no print profile for this SKU'] });
  });

  it('refuses a rules file with a broken pattern or a rule that can never match, listing every problem', () => {
    const bad = {
      rules: [
        { name: 'all', match: { any: true }, kind: 'pack' },
        { name: 'late', match: { skuPattern: '^3DP-(' }, kind: 'print', printerGroup: 'sla' },
        { name: 'empty', match: { skus: [] }, kind: 'print' },
        { name: 'nothing', match: {}, kind: 'print' },
      ],
      printers: { groups: { fdm: { count: 1, hoursPerDay: 20 } } },
    };
    let err: ConfigError | undefined;
    try {
      parseProductionRules(bad, 'rules.json');
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.message;
    expect(text).toContain('rules[1] "late": can never match: rule "all" before it matches everything');
    expect(text).toContain('rules[1] "late".match.skuPattern: is not a valid pattern');
    expect(text).toContain('rules[1] "late".printerGroup: "sla" is not in printers.groups');
    expect(text).toContain('rules[2] "empty".match.skus: is empty');
    expect(text).toContain('rules[3] "nothing": has no match criteria');
    expect(() => parseProductionRules({ rules: [] })).toThrow(ConfigError);
  });
});

describe('earliest-deadline-first schedule', () => {
  const now = new Date('2026-11-25T08:00:00Z');
  const printers = { groups: { fdm: { count: 2, hoursPerDay: 24 } }, packingBufferHours: 2 };
  const at = (h: number) => new Date(now.getTime() + h * 3_600_000).toISOString();

  it('orders by ship-by and marks the jobs that cannot make it as at risk', () => {
    const out = scheduleJobs(
      [
        { id: 'late-deadline', printerGroup: 'fdm', estimateMinutes: 120, shipBy: at(48) },
        { id: 'tight', printerGroup: 'fdm', estimateMinutes: 180, shipBy: at(4) },
        { id: 'soon', printerGroup: 'fdm', estimateMinutes: 60, shipBy: at(6) },
        { id: 'no-deadline', printerGroup: 'fdm', estimateMinutes: 30 },
        { id: 'queued-behind', printerGroup: 'fdm', estimateMinutes: 240, shipBy: at(7) },
      ],
      printers,
      now,
    );
    const byId = Object.fromEntries(out.map((j) => [j.id, j]));
    expect(out.map((j) => j.id)).toEqual(['tight', 'soon', 'queued-behind', 'late-deadline', 'no-deadline']);
    expect(byId.tight).toMatchObject({ printer: 1, estimatedFinish: at(3), atRisk: true }); // 3 h + 2 h buffer > 4 h
    expect(byId.soon).toMatchObject({ printer: 2, estimatedFinish: at(1), atRisk: false });
    expect(byId['queued-behind']).toMatchObject({ printer: 2, estimatedStart: at(1), estimatedFinish: at(5), atRisk: false });
    expect(byId['late-deadline']).toMatchObject({ estimatedStart: at(3), atRisk: false });
  });

  it('stretches work over the printers\' hours per day, and keeps printing jobs on their printer', () => {
    const out = scheduleJobs(
      [
        { id: 'printing', printerGroup: 'fdm', estimateMinutes: 120, startedAt: at(-1), shipBy: at(10) },
        { id: 'next', printerGroup: 'fdm', estimateMinutes: 120, shipBy: at(5) },
      ],
      { groups: { fdm: { count: 1, hoursPerDay: 12 } }, packingBufferHours: 0 },
      now,
    );
    expect(out[0]).toMatchObject({ id: 'printing', estimatedFinish: at(3) }); // 2 work hours = 4 calendar hours
    expect(out[1]).toMatchObject({ id: 'next', estimatedStart: at(3), estimatedFinish: at(7), atRisk: true });
  });
});
