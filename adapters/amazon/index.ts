import type { Logger } from 'pino';
import type { AmazonCredentials } from '../../config/env.ts';
import { accountId, ensureAccount } from '../../db/accounts.ts';
import type { Db } from '../../db/connection.ts';
import { storedOrderLine, storedOrderVersion } from '../../db/orders.ts';
import type { AdapterFactory } from '../registry.ts';
import type { LimiterScope } from '../limiter.ts';
import type { RetryOptions } from '../retry.ts';
import type { MarketplaceAdapter } from '../types.ts';
import { mapAmazonCarrier } from './carriers.ts';
import { checkAmazonAccess } from './check-access.ts';
import { AmazonClient } from './client.ts';
import { fetchAmazonOrders, LATE_ORDERS_STREAM, OPEN_ORDERS_STREAM, rereadAmazonOrder } from './fetch-orders.ts';
import { AMAZON_LIMITS } from './limits.ts';
import { pushAmazonShipment } from './push-shipment.ts';
import { amazonOrderToOrder } from './to-order.ts';
import type { AmazonCustomization, AmazonRawOrder } from './wire.ts';

/**
 * A line's customization as stored from an earlier read (the text, or the several texts, and the
 * options), or undefined when it was never read (or is still pending).
 */
function storedCustomization(db: Db, account: string, orderId: string, orderItemId: string): AmazonCustomization | undefined {
  const item = storedOrderLine(db, 'amazon', account, orderId, orderItemId);
  if (!item || item.extra?.customizationPending || (item.personalization === null && !item.variations)) return undefined;
  const several = item.extra?.customizationTexts as { label: string; text: string }[] | undefined;
  return {
    texts: several ?? (item.personalization !== null ? [{ label: 'Text', text: item.personalization }] : []),
    options: item.variations ?? undefined,
  };
}

/** How often the late-orders stream re-reads the trailing window. */
const LATE_ORDERS_EVERY_MS = 3_600_000;
/** How often the open-orders stream reads every order still waiting to ship. */
const OPEN_ORDERS_EVERY_MS = 86_400_000;

export interface AmazonAdapterOptions {
  db: Db;
  log: Logger;
  credentials: AmazonCredentials;
  sandboxUrl?: string;
  rateLimitPerMinute?: number;
  retry?: RetryOptions;
  limiterScope?: LimiterScope;
  /** Orders per searchOrders page (1..100). */
  pageSize?: number;
  /** How far back the first sync reads (default 30 days). */
  initialLookbackMs?: number;
  now?: () => number;
}

export function createAmazonAdapter(o: AmazonAdapterOptions): MarketplaceAdapter<AmazonRawOrder> & { client: AmazonClient } {
  const sellerId = o.credentials.sellerId;
  ensureAccount(o.db, 'amazon', sellerId);
  const account = accountId('amazon', sellerId);
  const client = new AmazonClient({
    db: o.db,
    log: o.log.child({ platform: 'amazon', sellerId }),
    accountId: account,
    clientId: o.credentials.clientId,
    clientSecret: o.credentials.clientSecret,
    refreshToken: o.credentials.refreshToken,
    region: o.credentials.region,
    sandboxUrl: o.sandboxUrl,
    rateLimitPerMinute: o.rateLimitPerMinute,
    limiterScope: o.limiterScope,
    retry: o.retry,
  });
  const settings = {
    marketplaceIds: o.credentials.marketplaceIds,
    pageSize: o.pageSize ?? 100,
    lateOrderWindowMs: o.credentials.lateOrderWindowMs,
    initialLookbackMs: o.initialLookbackMs ?? 30 * 86_400_000,
    now: o.now,
    alreadyRead: (orderId: string, orderItemId: string) => storedCustomization(o.db, account, orderId, orderItemId),
    alreadyStored: (orderId: string, lastUpdatedTime: string) => {
      const stored = storedOrderVersion(o.db, 'amazon', account, orderId);
      return stored !== undefined && Date.parse(stored) >= Date.parse(lastUpdatedTime);
    },
  };
  return {
    platform: 'amazon',
    accountId: sellerId,
    limits: AMAZON_LIMITS,
    client,
    extraStreams: [
      { name: LATE_ORDERS_STREAM, everyMs: LATE_ORDERS_EVERY_MS },
      // After a first sync or a catch-up too: those are the reads of several pages that can skip.
      { name: OPEN_ORDERS_STREAM, everyMs: OPEN_ORDERS_EVERY_MS, afterLongRead: true },
    ],
    fetchOrdersSince: (cursor, stream, until) => fetchAmazonOrders(client, settings, cursor, stream, until),
    rereadOrder: (orderId) => rereadAmazonOrder(client, orderId, settings.alreadyRead),
    normalize: (raw) => amazonOrderToOrder(raw, sellerId),
    rawOrderId: (raw) => (raw?.order && typeof raw.order.orderId === 'string' ? raw.order.orderId : undefined),
    mapCarrier: mapAmazonCarrier,
    pushShipment: async (s) => pushAmazonShipment(client, s, mapAmazonCarrier(s.carrier)),
    checkAccess: () => checkAmazonAccess(client, o.credentials.marketplaceIds),
    close: () => client.close(),
  };
}

/**
 * The sandbox's Amazon seller and app (sandbox/amazon/routes.ts accepts exactly these). It sells
 * in the US, German and Japanese marketplaces so the demo shows USD, EUR and JPY orders.
 */
export const AMAZON_SANDBOX_CREDENTIALS: AmazonCredentials = {
  sellerId: 'SANDBOX-AMAZON',
  clientId: 'amzn1.application-oa2-client.sandbox',
  clientSecret: 'amzn1.oa2-cs.v1.sandbox-secret',
  refreshToken: 'Atzr|sandbox-refresh-token',
  region: 'NA',
  marketplaceIds: ['ATVPDKIKX0DER', 'A1PA6795UKMFR9', 'A1VC38T7YXB528'],
  lateOrderWindowMs: 24 * 3_600_000,
};

export const amazonFactory: AdapterFactory = {
  platform: 'amazon',
  mapCarrier: mapAmazonCarrier,
  fromConfig: (config, ctx) =>
    config.platforms.amazon &&
    createAmazonAdapter({ db: ctx.db, log: ctx.log, credentials: config.platforms.amazon, rateLimitPerMinute: ctx.rateLimitPerMinute, limiterScope: ctx.limiterScope }),
  forSandbox: (ctx) =>
    createAmazonAdapter({
      db: ctx.db,
      log: ctx.log,
      credentials: AMAZON_SANDBOX_CREDENTIALS,
      sandboxUrl: ctx.sandboxUrl,
      rateLimitPerMinute: ctx.rateLimitPerMinute,
      limiterScope: ctx.limiterScope,
    }),
};
