import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PLATFORMS } from './env.ts';
import { ConfigError, type ConfigProblem } from './env.ts';

/** The production rules file: which items are print work, the print catalog and the printers. */

const variantPatch = z.object({
  partFile: z.string().min(1).optional(),
  material: z.string().min(1).optional(),
  colour: z.string().min(1).optional(),
  gramsPerUnit: z.number().positive().optional(),
  minutesPerUnit: z.number().positive().optional(),
});

const ruleSchema = z.object({
  name: z.string().min(1),
  match: z
    .object({
      skuPattern: z.string().optional(),
      skus: z.array(z.string().min(1)).optional(),
      titleKeywords: z.array(z.string().min(1)).optional(),
      listingIds: z.array(z.string().min(1)).optional(),
      platforms: z.array(z.enum(PLATFORMS as [string, ...string[]])).optional(),
      any: z.literal(true).optional(),
    })
    .strict(),
  kind: z.enum(['print', 'pack']),
  printerGroup: z.string().optional(),
  defaultEstimateMinutes: z.number().positive().optional(),
});

const profileSchema = z
  .object({
    sku: z.string().optional(),
    skuSuffix: z.string().optional(),
    skuPattern: z.string().optional(),
    partFile: z.string().min(1),
    material: z.string().min(1),
    colour: z.string().min(1),
    gramsPerUnit: z.number().positive(),
    minutesPerUnit: z.number().positive(),
    unitsPerPlate: z.number().int().positive(),
    printerGroup: z.string().optional(),
    variants: z.record(z.string(), z.record(z.string(), variantPatch)).optional(),
  })
  .strict();

export const productionRulesSchema = z.object({
  $comment: z.string().optional(),
  rules: z.array(ruleSchema).min(1),
  catalog: z.array(profileSchema).default([]),
  printers: z.object({
    groups: z.record(z.string(), z.object({ count: z.number().int().positive(), hoursPerDay: z.number().positive().max(24) })),
    packingBufferHours: z.number().min(0).default(4),
  }),
});

export type ProductionRules = z.infer<typeof productionRulesSchema>;
export type ProductionRule = ProductionRules['rules'][number];
export type PrintProfile = ProductionRules['catalog'][number];

export const DEFAULT_RULES_PATH = join(dirname(fileURLToPath(import.meta.url)), 'production.json');

/** Problems zod cannot see: patterns that do not compile, rules that can never match. */
function semanticProblems(r: ProductionRules): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const groups = new Set(Object.keys(r.printers.groups));
  let catchAll: string | undefined;
  r.rules.forEach((rule, i) => {
    const at = `rules[${i}] "${rule.name}"`;
    const m = rule.match;
    if (catchAll) problems.push({ variable: at, problem: `can never match: rule "${catchAll}" before it matches everything` });
    const criteria = [m.skuPattern, m.skus, m.titleKeywords, m.listingIds, m.platforms, m.any].filter((c) => c !== undefined);
    if (criteria.length === 0) problems.push({ variable: at, problem: 'has no match criteria', example: '{ "skuPattern": "^3DP-" }' });
    for (const [key, list] of Object.entries({ skus: m.skus, titleKeywords: m.titleKeywords, listingIds: m.listingIds, platforms: m.platforms })) {
      if (list && list.length === 0) problems.push({ variable: `${at}.match.${key}`, problem: 'is empty, so the rule can never match' });
    }
    if (m.skuPattern !== undefined) {
      try {
        new RegExp(m.skuPattern);
      } catch (err) {
        problems.push({ variable: `${at}.match.skuPattern`, problem: `is not a valid pattern: ${(err as Error).message}`, example: '^3DP-' });
      }
    }
    if (m.any && criteria.length === 1) catchAll = rule.name;
    if (rule.kind === 'print' && rule.printerGroup && !groups.has(rule.printerGroup)) {
      problems.push({ variable: `${at}.printerGroup`, problem: `"${rule.printerGroup}" is not in printers.groups (${[...groups].join(', ')})` });
    }
  });
  r.catalog.forEach((p, i) => {
    const at = `catalog[${i}]`;
    const keys = [p.sku, p.skuSuffix, p.skuPattern].filter((k) => k !== undefined);
    if (keys.length !== 1) problems.push({ variable: at, problem: 'needs exactly one of sku, skuSuffix, skuPattern' });
    if (p.skuPattern !== undefined) {
      try {
        new RegExp(p.skuPattern);
      } catch (err) {
        problems.push({ variable: `${at}.skuPattern`, problem: `is not a valid pattern: ${(err as Error).message}` });
      }
    }
    if (p.printerGroup && !groups.has(p.printerGroup)) problems.push({ variable: `${at}.printerGroup`, problem: `"${p.printerGroup}" is not in printers.groups` });
  });
  return problems;
}

export function parseProductionRules(data: unknown, source = 'production rules'): ProductionRules {
  const parsed = productionRulesSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: `${source}: ${i.path.join('.') || '(root)'}`, problem: i.message })));
  }
  const problems = semanticProblems(parsed.data).map((p) => ({ ...p, variable: `${source}: ${p.variable}` }));
  if (problems.length) throw new ConfigError(problems);
  return parsed.data;
}

export function loadProductionRules(path = DEFAULT_RULES_PATH): ProductionRules {
  if (!existsSync(path)) throw new ConfigError([{ variable: 'PRODUCTION_RULES', problem: `file ${path} does not exist`, example: 'config/production.json' }]);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ variable: 'PRODUCTION_RULES', problem: `${path} is not valid JSON: ${(err as Error).message}` }]);
  }
  return parseProductionRules(data, path);
}
