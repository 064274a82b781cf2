import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { setRateScale } from '../adapters/limiter.ts';
import { createAdapters } from '../adapters/registry.ts';
import type { MarketplaceAdapter } from '../adapters/types.ts';
import type { Config } from '../config/env.ts';
import { accountId } from '../db/accounts.ts';
import { combineIntakes } from '../jobs/intake.ts';
import type { OrderIntake } from '../jobs/poll.ts';
import { openSharedLimits } from '../jobs/shared-limits.ts';
import { openCliContext, type CliContext } from './cli-context.ts';
import { sandboxUrlFile } from './data-keys.ts';
import { ShutdownError, ValidationError } from './errors.ts';
import { features } from './features.ts';
import { createLogger } from './logger.ts';

export interface MarketplaceSession extends CliContext {
  adapters: MarketplaceAdapter[];
  intake?: OrderIntake;
  log: Logger;
  /** Aborts waits for rate-limit tokens (Ctrl-C): what was committed stays, the rest resumes next time. */
  cancel(reason: string): void;
  /** Aborted by `cancel`. */
  signal: AbortSignal;
}

/**
 * What `ordersync sync` and `backfill` poll with: the worker's adapters, its intake (print jobs are
 * queued as the worker would) and its rate limits, drawn from the same Redis buckets as a running
 * worker's. Log lines go to stderr at warn level; the command prints its own summary.
 */
export async function openMarketplaceSession(config: Config, only?: string[]): Promise<MarketplaceSession> {
  const ctx = await openCliContext(config);
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: false, destination: process.stderr });
  const controller = new AbortController();
  const limits = openSharedLimits(ctx.redisTarget, ctx.prefix, controller.signal, log);
  let sandboxUrl = config.sandboxUrl;
  if (config.sandboxMode) {
    setRateScale(config.sandboxRateScale);
    const file = sandboxUrlFile(config.dataDir);
    sandboxUrl ??= existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
    if (!sandboxUrl) throw new ValidationError('sandbox mode (no marketplace credentials): start the worker first (npm start), or run `npm run sandbox` and set SANDBOX_URL');
  }
  const all = await createAdapters(config, { db: ctx.db, log, sandboxUrl, rateLimitPerMinute: config.rateLimitPerMinute, cacheTtlSeconds: config.cacheTtlSeconds, limiterScope: limits.scope });
  const adapters = only?.length ? all.filter((a) => only.some((o) => o === accountId(a.platform, a.accountId) || o === a.platform || o === a.accountId)) : all;
  if (only?.length && adapters.length === 0) {
    throw new ValidationError(`--account: none of ${only.join(', ')} is configured; the accounts are ${all.map((a) => accountId(a.platform, a.accountId)).join(', ') || '(none)'}`, 'account');
  }
  const services = { config, db: ctx.db, redis: ctx.redis, redisTarget: ctx.redisTarget, queues: ctx.queues, prefix: ctx.prefix, adapters, log };
  const intake = combineIntakes(features.flatMap((f) => (f.intake ? [f.intake(services)] : [])));
  return {
    ...ctx,
    adapters,
    intake,
    log,
    cancel: (reason) => controller.abort(new ShutdownError(reason)),
    signal: controller.signal,
    close: async () => {
      controller.abort(new ShutdownError('closing'));
      for (const a of all) await a.close?.();
      await limits.close();
      await ctx.close();
    },
  };
}
