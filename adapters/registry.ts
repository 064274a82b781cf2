import type { Logger } from 'pino';
import type { Config, PlatformName } from '../config/env.ts';
import type { Db } from '../db/connection.ts';
import type { LimiterScope } from './limiter.ts';
import type { MarketplaceAdapter } from './types.ts';
import { mapAmazonCarrier } from './amazon/carriers.ts';
import { mapEbayCarrier } from './ebay/carriers.ts';
import { mapEtsyCarrier } from './etsy/carriers.ts';

export interface AdapterContext {
  db: Db;
  log: Logger;
  /** Set in sandbox mode: every request goes to this server instead of the marketplace. */
  sandboxUrl?: string;
  /** MARKETPLACE_API_RATE_LIMIT: a ceiling (requests per minute per account) under the published limits. */
  rateLimitPerMinute: number;
  cacheTtlSeconds: number;
  /** Redis-shared rate limits and the shutdown signal (the worker sets both). */
  limiterScope?: LimiterScope;
}

/** How one platform builds its adapter: from real credentials, or for the sandbox without any. */
export interface AdapterFactory {
  platform: PlatformName;
  fromConfig(config: Config, ctx: AdapterContext): MarketplaceAdapter | undefined;
  forSandbox(ctx: AdapterContext & { sandboxUrl: string }): MarketplaceAdapter;
  /** The platform's carrier mapping, usable without a client (the CLI validates with it). */
  mapCarrier(name: string): { code: string; name?: string };
}

/**
 * Each platform's adapter module, loaded only when the platform is used: a shop selling on Etsy alone
 * never loads amazon-sp-api or ebay-api (the bundle keeps each in a chunk of its own). Tests and
 * benchmarks that want all three at once import adapters/all.ts.
 */
const loaders: Record<PlatformName, () => Promise<AdapterFactory>> = {
  amazon: async () => (await import('./amazon/index.ts')).amazonFactory,
  ebay: async () => (await import('./ebay/index.ts')).ebayFactory,
  etsy: async () => (await import('./etsy/index.ts')).etsyFactory,
};

/** The platforms a worker with this config polls: every one in sandbox mode, else those with credentials. */
export const enabledPlatforms = (config: Config): PlatformName[] =>
  (Object.keys(loaders) as PlatformName[]).filter((p) => config.sandboxMode || config.platforms[p]);

export async function createAdapters(config: Config, ctx: AdapterContext): Promise<MarketplaceAdapter[]> {
  const factories = await Promise.all(enabledPlatforms(config).map((p) => loaders[p]()));
  if (config.sandboxMode) {
    if (!ctx.sandboxUrl) throw new Error('sandbox mode needs a sandbox URL');
    const sandboxUrl = ctx.sandboxUrl;
    return factories.map((f) => f.forSandbox({ ...ctx, sandboxUrl }));
  }
  return factories.flatMap((f) => f.fromConfig(config, ctx) ?? []);
}

const carrierMappers: Record<PlatformName, (name: string) => { code: string; name?: string }> = {
  amazon: mapAmazonCarrier,
  ebay: mapEbayCarrier,
  etsy: mapEtsyCarrier,
};

/** The carrier mapping of a platform, usable without loading its client (the CLI validates with it). */
export function carrierMapperFor(platform: PlatformName): (name: string) => { code: string; name?: string } {
  return carrierMappers[platform];
}
