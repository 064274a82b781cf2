import { join } from 'node:path';
import { AMAZON_SANDBOX_CREDENTIALS, createAmazonAdapter } from '../../adapters/amazon/index.ts';
import { createEbayAdapter, EBAY_SANDBOX_CREDENTIALS } from '../../adapters/ebay/index.ts';
import { createEtsyAdapter, ETSY_SANDBOX_CREDENTIALS } from '../../adapters/etsy/index.ts';
import type { AdapterContext } from '../../adapters/registry.ts';
import type { MarketplaceAdapter } from '../../adapters/types.ts';
import type { Config } from '../../config/env.ts';
import type { DoctorCheck } from '../../src/commands/doctor/check.ts';
import { REDIS_URL } from '../support/env.ts';

const A = AMAZON_SANDBOX_CREDENTIALS;
const B = EBAY_SANDBOX_CREDENTIALS;
const E = ETSY_SANDBOX_CREDENTIALS;

/** A live-looking configuration (no sandbox mode) holding exactly the credentials the sandbox accepts. */
export const goodEnv = (dataDir: string, prefix: string): NodeJS.ProcessEnv => ({
  AMAZON_SELLER_ID: A.sellerId,
  AMAZON_REFRESH_TOKEN: A.refreshToken,
  AMAZON_CLIENT_ID: A.clientId,
  AMAZON_CLIENT_SECRET: A.clientSecret,
  AMAZON_MARKETPLACE_IDS: A.marketplaceIds.join(','),
  EBAY_APP_ID: B.appId,
  EBAY_DEV_ID: B.devId,
  EBAY_CERT_ID: B.certId,
  EBAY_USER_TOKEN: B.userToken,
  EBAY_REFRESH_TOKEN: B.refreshToken,
  EBAY_SELLER_ID: B.sellerId,
  ETSY_CLIENT_ID: E.clientId,
  ETSY_SHARED_SECRET: E.sharedSecret,
  ETSY_ACCESS_TOKEN: E.accessToken,
  ETSY_REFRESH_TOKEN: E.refreshToken,
  ETSY_SHOP_ID: E.shopId,
  REDIS_URL,
  REDIS_PREFIX: prefix,
  DATA_DIR: dataDir,
  DATABASE_PATH: join(dataDir, 'orders.sqlite'),
});

/** The configured accounts' adapters, every call sent to the sandbox (as test/etsy, test/ebay, test/amazon do). */
export const adaptersAt =
  (sandboxUrl: string) =>
  (config: Config, ctx: AdapterContext): MarketplaceAdapter[] => {
    const { amazon, ebay, etsy } = config.platforms;
    const common = { db: ctx.db, log: ctx.log, limiterScope: ctx.limiterScope, retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 2 } };
    return [
      amazon && createAmazonAdapter({ ...common, credentials: amazon, sandboxUrl }),
      ebay && createEbayAdapter({ ...common, credentials: ebay, sandboxUrl }),
      etsy && createEtsyAdapter({ ...common, credentials: etsy, baseUrl: sandboxUrl }),
    ].filter((a): a is NonNullable<typeof a> => !!a);
  };

/** The one check of `area` named `name` (fails the test when there is none). */
export function finding(checks: DoctorCheck[], area: string, name: string): DoctorCheck {
  const found = checks.find((c) => c.area === area && c.name === name);
  if (!found) throw new Error(`no check ${area}: ${name} in\n${checks.map((c) => `${c.status} ${c.area}: ${c.name}`).join('\n')}`);
  return found;
}
