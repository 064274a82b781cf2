import type { MarketplaceAdapter } from '../adapters/types.ts';
import { loadProductionRules, type ProductionRules } from '../config/production.ts';
import { accountId, listAccounts } from '../db/accounts.ts';
import type { Db } from '../db/connection.ts';
import { productionView } from '../jobs/production/lifecycle.ts';
import type { Queues } from '../jobs/queues.ts';
import type { ScrapeSources } from './metrics.ts';

const PRODUCTION_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const;

/**
 * The scrape-time reads behind the account and production gauges. Accounts are the configured ones
 * only: one removed from the config keeps its row, and its poll age would grow (and alert) for ever.
 */
export function scrapeSources(deps: { db: Db; queues: Queues; adapters: MarketplaceAdapter[]; productionRulesPath?: string }): ScrapeSources {
  const configured = new Set(deps.adapters.map((a) => accountId(a.platform, a.accountId)));
  let rules: ProductionRules | undefined;
  return {
    accounts: () => listAccounts(deps.db).filter((a) => configured.has(a.id)),
    productionJobs: () => deps.queues.production.getJobCounts(...PRODUCTION_STATES),
    productionAtRisk: () => {
      rules ??= loadProductionRules(deps.productionRulesPath);
      return productionView(deps.db, rules).filter((r) => r.schedule?.atRisk).length;
    },
  };
}
