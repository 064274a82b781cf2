import type { Logger } from 'pino';
import type { Config } from '../../../config/env.ts';
import type { Db } from '../../../db/connection.ts';
import { createAdapters, type AdapterContext } from '../../../adapters/registry.ts';
import type { MarketplaceAdapter } from '../../../adapters/types.ts';
import { errorMessage } from '../../errors.ts';
import { inArea, type DoctorCheck } from './check.ts';

/** How long one account's checks may take, retries and rate-limit waits included. */
export const ACCOUNT_DEADLINE_MS = 60_000;

export interface AccountCheckOptions {
  config: Config;
  /** Where a token the marketplace renews during a check is kept (the worker's database when it can be). */
  db: Db;
  log: Logger;
  /** Sandbox mode: the sandbox the worker would use. */
  sandboxUrl?: string;
  /** The adapters to check (default: the worker's, from the registry). Tests send real-looking credentials to a sandbox with it. */
  adapters?: (config: Config, ctx: AdapterContext) => MarketplaceAdapter[] | Promise<MarketplaceAdapter[]>;
  deadlineMs?: number;
  /** Platforms not checked this time, with the reason shown (INFO). */
  skip?: Partial<Record<MarketplaceAdapter['platform'], string>>;
}

/** Each account's credentials and permissions, all accounts at once, each with its own findings. */
export async function checkAccounts(o: AccountCheckOptions): Promise<DoctorCheck[]> {
  // The limiters and retries end their waits when this aborts: a stuck account fails, the doctor ends.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), o.deadlineMs ?? ACCOUNT_DEADLINE_MS).unref();
  const ctx: AdapterContext = {
    db: o.db,
    log: o.log,
    sandboxUrl: o.sandboxUrl,
    rateLimitPerMinute: o.config.rateLimitPerMinute,
    cacheTtlSeconds: o.config.cacheTtlSeconds,
    limiterScope: { signal: deadline.signal },
  };
  const adapters = await (o.adapters ?? createAdapters)(o.config, ctx);
  try {
    const found = await Promise.all(
      adapters.map(async (adapter): Promise<DoctorCheck[]> => {
        const area = `${adapter.platform} ${adapter.accountId}`;
        const skipped = o.skip?.[adapter.platform];
        if (skipped) return [{ area, name: 'access', status: 'info', detail: `not checked: ${skipped}` }];
        if (!adapter.checkAccess) return [{ area, name: 'access', status: 'info', detail: 'this platform has no access check yet' }];
        try {
          return inArea(area, await adapter.checkAccess());
        } catch (err) {
          return [{ area, name: 'access', status: 'fail', detail: errorMessage(err), fix: 'run the doctor again; if it persists, report it with this line' }];
        }
      }),
    );
    return found.flat();
  } finally {
    clearTimeout(timer);
    await Promise.all(adapters.map((a) => a.close?.()));
  }
}
