import type { OrderItem, Platform } from '../../adapters/types.ts';
import type { PrintProfile, ProductionRule, ProductionRules } from '../../config/production.ts';

export interface ResolvedProfile {
  partFile: string;
  material: string;
  colour: string;
  gramsPerUnit: number;
  minutesPerUnit: number;
  unitsPerPlate: number;
  plates: number;
  grams: number;
}

export interface Classification {
  kind: 'print' | 'pack';
  rule: string;
  /** Why, in words ops can read: "sku matches ^3DP-". */
  reason: string;
  printerGroup?: string;
  profile?: ResolvedProfile;
  estimateMinutes?: number;
  /** e.g. "estimate missing", "variation not mapped: Color=Teal". */
  flags: string[];
}

const patterns = new Map<string, RegExp>();
/** Patterns are validated at load; compile each once, not per item. */
const pattern = (source: string) => {
  let re = patterns.get(source);
  if (!re) patterns.set(source, (re = new RegExp(source)));
  return re;
};

function ruleMatch(rule: ProductionRule, item: OrderItem, platform: Platform): string | undefined {
  const m = rule.match;
  const reasons: string[] = [];
  if (m.skuPattern !== undefined) {
    if (!pattern(m.skuPattern).test(item.sku)) return undefined;
    reasons.push(`sku matches ${m.skuPattern}`);
  }
  if (m.skus) {
    if (!m.skus.includes(item.sku)) return undefined;
    reasons.push(`sku ${item.sku} is listed`);
  }
  if (m.titleKeywords) {
    const title = item.title.toLowerCase();
    const hit = m.titleKeywords.find((k) => title.includes(k.toLowerCase()));
    if (!hit) return undefined;
    reasons.push(`title contains "${hit}"`);
  }
  if (m.listingIds) {
    if (!item.listingId || !m.listingIds.includes(item.listingId)) return undefined;
    reasons.push(`listing ${item.listingId} is listed`);
  }
  if (m.platforms) {
    if (!m.platforms.includes(platform)) return undefined;
    reasons.push(`platform is ${platform}`);
  }
  if (m.any) reasons.push('no earlier rule matched');
  return reasons.join(' and ');
}

function findProfile(catalog: PrintProfile[], sku: string): PrintProfile | undefined {
  return (
    catalog.find((p) => p.sku === sku) ??
    catalog.find((p) => p.skuSuffix !== undefined && sku.endsWith(p.skuSuffix)) ??
    catalog.find((p) => p.skuPattern !== undefined && pattern(p.skuPattern).test(sku))
  );
}

/**
 * What an order line means for production: which rule claims it (first match wins), what to
 * print (catalog profile with the buyer's variation choices resolved), and how long it takes.
 * Anything that could not be resolved is flagged, never guessed.
 */
export function classifyItem(item: OrderItem, platform: Platform, rules: ProductionRules): Classification {
  for (const rule of rules.rules) {
    const reason = ruleMatch(rule, item, platform);
    if (reason === undefined) continue;
    if (rule.kind === 'pack') return { kind: 'pack', rule: rule.name, reason, flags: [] };

    const flags: string[] = [];
    const base = findProfile(rules.catalog, item.sku);
    const printerGroup = base?.printerGroup ?? rule.printerGroup ?? Object.keys(rules.printers.groups)[0];
    if (!base) {
      flags.push('estimate missing: no print profile for this SKU');
      const estimateMinutes = rule.defaultEstimateMinutes !== undefined ? Math.ceil(rule.defaultEstimateMinutes * item.quantity) : undefined;
      return { kind: 'print', rule: rule.name, reason, printerGroup, estimateMinutes, flags };
    }
    const resolved = { partFile: base.partFile, material: base.material, colour: base.colour, gramsPerUnit: base.gramsPerUnit, minutesPerUnit: base.minutesPerUnit };
    for (const [option, value] of Object.entries(item.variations ?? {})) {
      const map = base.variants?.[option];
      if (!map) continue; // an option the profile does not vary by (e.g. gift wrap)
      const patch = map[value];
      if (!patch) flags.push(`variation not mapped: ${option}=${value}`);
      else Object.assign(resolved, patch);
    }
    const plates = Math.ceil(item.quantity / base.unitsPerPlate);
    return {
      kind: 'print',
      rule: rule.name,
      reason,
      printerGroup,
      profile: { ...resolved, unitsPerPlate: base.unitsPerPlate, plates, grams: resolved.gramsPerUnit * item.quantity },
      estimateMinutes: Math.ceil(resolved.minutesPerUnit * item.quantity),
      flags,
    };
  }
  // The sample rules end with a catch-all; a file without one leaves such items to ops.
  return { kind: 'pack', rule: '(none)', reason: 'no rule matched', flags: ['no production rule matched'] };
}
