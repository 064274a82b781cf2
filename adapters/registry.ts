import type { Logger } from 'pino';
import type { Config, PlatformName } from '../config/env.ts';
import type { Db } from '../db/connection.ts';
import type { LimiterScope } from './limiter.ts';
import type { MarketplaceAdapter } from './types.ts';
import { amazonFactory } from './amazon/index.ts';
import { ebayFactory } from './ebay/index.ts';
import { etsyFactory } from './etsy/index.ts';

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

export const adapterFactories: AdapterFactory[] = [amazonFactory, ebayFactory, etsyFactory].filter(
  (f): f is AdapterFactory => f !== undefined,
);

export function createAdapters(config: Config, ctx: AdapterContext): MarketplaceAdapter[] {
  if (config.sandboxMode) {
    if (!ctx.sandboxUrl) throw new Error('sandbox mode needs a sandbox URL');
    const sandboxUrl = ctx.sandboxUrl;
    return adapterFactories.map((f) => f.forSandbox({ ...ctx, sandboxUrl }));
  }
  return adapterFactories.flatMap((f) => f.fromConfig(config, ctx) ?? []);
}

/** The carrier mapping of a platform, or a clear error when its adapter is not built in. */
export function carrierMapperFor(platform: PlatformName): (name: string) => { code: string; name?: string } {
  const factory = adapterFactories.find((f) => f.platform === platform);
  if (!factory) throw new Error(`no ${platform} adapter is available in this build`);
  return factory.mapCarrier;
}
