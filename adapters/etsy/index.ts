import type { Logger } from 'pino';
import { accountId, ensureAccount } from '../../db/accounts.ts';
import type { Db } from '../../db/connection.ts';
import type { EtsyCredentials } from '../../config/env.ts';
import type { AdapterFactory } from '../registry.ts';
import type { LimiterScope } from '../limiter.ts';
import type { RetryOptions } from '../retry.ts';
import type { MarketplaceAdapter, ShipmentPush } from '../types.ts';
import { mapEtsyCarrier } from './carriers.ts';
import { checkEtsyAccess } from './check-access.ts';
import { EtsyClient } from './client.ts';
import { fetchEtsyReceipts } from './fetch-orders.ts';
import { etsyLimits } from './limits.ts';
import { pushEtsyShipment } from './push-shipment.ts';
import { etsyReceiptToOrder } from './to-order.ts';
import type { EtsyReceipt } from './wire.ts';

export interface EtsyAdapterOptions {
  db: Db;
  log: Logger;
  credentials: EtsyCredentials;
  baseUrl?: string;
  rateLimitPerMinute?: number;
  retry?: RetryOptions;
  limiterScope?: LimiterScope;
  /** Receipts per request (Etsy allows up to 100). */
  pageSize?: number;
}

export function createEtsyAdapter(o: EtsyAdapterOptions): MarketplaceAdapter<EtsyReceipt> & { client: EtsyClient } {
  const shopId = o.credentials.shopId;
  ensureAccount(o.db, 'etsy', shopId);
  const client = new EtsyClient({
    db: o.db,
    log: o.log.child({ platform: 'etsy', shopId }),
    accountId: accountId('etsy', shopId),
    clientId: o.credentials.clientId,
    sharedSecret: o.credentials.sharedSecret,
    accessToken: o.credentials.accessToken,
    refreshToken: o.credentials.refreshToken,
    baseUrl: o.baseUrl,
    rateLimitPerMinute: o.rateLimitPerMinute,
    limiterScope: o.limiterScope,
    retry: o.retry,
  });
  return {
    platform: 'etsy',
    accountId: shopId,
    limits: etsyLimits,
    client,
    fetchOrdersSince: (cursor, _stream, until) => fetchEtsyReceipts(client, shopId, cursor, o.pageSize, until),
    normalize: (raw) => etsyReceiptToOrder(raw, shopId),
    rawOrderId: (raw) => (raw && typeof raw.receipt_id === 'number' ? String(raw.receipt_id) : undefined),
    mapCarrier: (name) => mapEtsyCarrier(name),
    pushShipment: async (s: ShipmentPush) => pushEtsyShipment(client, shopId, s, mapEtsyCarrier(s.carrier).code),
    checkAccess: () => checkEtsyAccess(client, shopId),
    close: () => client.close(),
  };
}

/** The sandbox's Etsy shop and app (sandbox/etsy/routes.ts accepts exactly these). */
export const ETSY_SANDBOX_CREDENTIALS: EtsyCredentials = {
  clientId: 'sandbox-etsy-keystring',
  sharedSecret: 'sandbox-etsy-shared-secret',
  accessToken: 'sandbox-etsy-access-token',
  refreshToken: 'sandbox-etsy-refresh-token',
  shopId: '1000001',
};

export const etsyFactory: AdapterFactory = {
  platform: 'etsy',
  mapCarrier: mapEtsyCarrier,
  fromConfig: (config, ctx) =>
    config.platforms.etsy &&
    createEtsyAdapter({ db: ctx.db, log: ctx.log, credentials: config.platforms.etsy, rateLimitPerMinute: ctx.rateLimitPerMinute, limiterScope: ctx.limiterScope }),
  forSandbox: (ctx) =>
    createEtsyAdapter({
      db: ctx.db,
      log: ctx.log,
      credentials: ETSY_SANDBOX_CREDENTIALS,
      baseUrl: ctx.sandboxUrl,
      rateLimitPerMinute: ctx.rateLimitPerMinute,
      limiterScope: ctx.limiterScope,
    }),
};
