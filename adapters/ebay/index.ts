import type { Logger } from 'pino';
import type { EbayCredentials } from '../../config/env.ts';
import { accountId, ensureAccount } from '../../db/accounts.ts';
import type { Db } from '../../db/connection.ts';
import type { AdapterFactory } from '../registry.ts';
import type { LimiterScope } from '../limiter.ts';
import type { RetryOptions } from '../retry.ts';
import type { MarketplaceAdapter } from '../types.ts';
import { mapEbayCarrier } from './carriers.ts';
import { checkEbayAccess } from './check-access.ts';
import { EbayClient } from './client.ts';
import { EBAY_MAX_PAGE_SIZE, fetchEbayOrders } from './fetch-orders.ts';
import { ebayLimits } from './limits.ts';
import { pushEbayShipment } from './push-shipment.ts';
import { ebayOrderToOrder } from './to-order.ts';
import type { EbayOrder } from './wire.ts';

export interface EbayAdapterOptions {
  db: Db;
  log: Logger;
  credentials: EbayCredentials;
  sandboxUrl?: string;
  rateLimitPerMinute?: number;
  retry?: RetryOptions;
  limiterScope?: LimiterScope;
  /** Orders per getOrders page (1..200). */
  pageSize?: number;
  /** How far back the first sync reads (default 30 days). */
  initialLookbackMs?: number;
  now?: () => number;
}

export function createEbayAdapter(o: EbayAdapterOptions): MarketplaceAdapter<EbayOrder> & { client: EbayClient } {
  const sellerId = o.credentials.sellerId;
  ensureAccount(o.db, 'ebay', sellerId);
  const client = new EbayClient({
    db: o.db,
    log: o.log.child({ platform: 'ebay', sellerId }),
    accountId: accountId('ebay', sellerId),
    appId: o.credentials.appId,
    certId: o.credentials.certId,
    devId: o.credentials.devId,
    userToken: o.credentials.userToken,
    refreshToken: o.credentials.refreshToken,
    environment: o.credentials.environment,
    sandboxUrl: o.sandboxUrl,
    rateLimitPerMinute: o.rateLimitPerMinute,
    limiterScope: o.limiterScope,
    retry: o.retry,
  });
  const settings = { pageSize: o.pageSize ?? EBAY_MAX_PAGE_SIZE, initialLookbackMs: o.initialLookbackMs ?? 30 * 86_400_000, now: o.now };
  return {
    platform: 'ebay',
    accountId: sellerId,
    limits: ebayLimits,
    client,
    fetchOrdersSince: (cursor, _stream, until) => fetchEbayOrders(client, settings, cursor, until),
    normalize: (raw) => ebayOrderToOrder(raw, sellerId, { usUsernamesReplaced: o.credentials.usUsernamesReplaced }),
    rawOrderId: (raw) => (raw && typeof raw.orderId === 'string' ? raw.orderId : undefined),
    mapCarrier: mapEbayCarrier,
    pushShipment: async (s) => pushEbayShipment(client, s, mapEbayCarrier(s.carrier).code),
    checkAccess: () => checkEbayAccess(client, !!o.credentials.refreshToken),
    close: () => client.close(),
  };
}

/** The sandbox's eBay seller and app (sandbox/ebay/routes.ts accepts exactly these). */
export const EBAY_SANDBOX_CREDENTIALS: EbayCredentials = {
  appId: 'SandboxS-ordersyn-SBX-0123456789-abcdef01',
  devId: '00000000-0000-4000-8000-000000000000',
  certId: 'SBX-0123456789ab-cdef-0123-4567-89ab',
  userToken: 'v^1.1#i^1#sandbox-ebay-user-token',
  refreshToken: 'v^1.1#i^1#sandbox-ebay-refresh-token',
  environment: 'production',
  sellerId: 'sandbox_seller',
};

export const ebayFactory: AdapterFactory = {
  platform: 'ebay',
  mapCarrier: mapEbayCarrier,
  fromConfig: (config, ctx) =>
    config.platforms.ebay && createEbayAdapter({ db: ctx.db, log: ctx.log, credentials: config.platforms.ebay, rateLimitPerMinute: ctx.rateLimitPerMinute, limiterScope: ctx.limiterScope }),
  forSandbox: (ctx) =>
    createEbayAdapter({
      db: ctx.db,
      log: ctx.log,
      credentials: EBAY_SANDBOX_CREDENTIALS,
      sandboxUrl: ctx.sandboxUrl,
      rateLimitPerMinute: ctx.rateLimitPerMinute,
      limiterScope: ctx.limiterScope,
    }),
};
