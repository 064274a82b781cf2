import type { Logger } from 'pino';
import { amazonOrderToOrder } from '../../adapters/amazon/to-order.ts';
import type { AmazonRawOrder } from '../../adapters/amazon/wire.ts';
import { ebayOrderToOrder } from '../../adapters/ebay/to-order.ts';
import type { EbayOrder } from '../../adapters/ebay/wire.ts';
import { etsyReceiptToOrder } from '../../adapters/etsy/to-order.ts';
import type { EtsyReceipt } from '../../adapters/etsy/wire.ts';
import type { Order } from '../../adapters/types.ts';
import type { Config, PlatformName } from '../../config/env.ts';
import { withWriteRetry, type Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { upsertOrder, type UpsertChange } from '../../db/orders.ts';
import { getQuarantined, listQuarantine, requarantine, resolveOlderCopies, resolveQuarantineEntry } from '../../db/quarantine.ts';
import { BadPayloadError, errorMessage, ValidationError } from '../../src/errors.ts';
import type { OrderIntake } from '../poll.ts';

/**
 * Each platform's normalizer as its adapter calls it (adapters/<platform>/index.ts), without a client:
 * the normalizers are pure, so a stored payload runs through today's code with nothing but the account.
 */
const NORMALIZERS: Record<PlatformName, (raw: unknown, externalAccountId: string, config: Pick<Config, 'platforms'>) => Order> = {
  amazon: (raw, sellerId) => amazonOrderToOrder(raw as AmazonRawOrder, sellerId),
  ebay: (raw, sellerId, config) => ebayOrderToOrder(raw as EbayOrder, sellerId, { usUsernamesReplaced: config.platforms.ebay?.usUsernamesReplaced }),
  etsy: (raw, shopId) => etsyReceiptToOrder(raw as EtsyReceipt, shopId),
};

export interface RetryDeps {
  db: Db;
  config: Pick<Config, 'platforms'>;
  /** The worker's intake (production work, re-reads): staged in the transaction, flushed after it. */
  intake?: OrderIntake;
  log?: Logger;
}

export type RetryOutcome =
  | { id: number; accountId: string; externalId: string | null; outcome: 'stored'; orderId: number; change: UpsertChange }
  | { id: number; accountId: string; externalId: string | null; outcome: 'still failing'; field: string | null; reason: string; previousReason: string }
  | { id: number; accountId: string; externalId: string | null; outcome: 'already resolved'; resolvedAt: string };

/**
 * Runs a quarantined payload through today's normalizer. When it passes, the order is stored as a
 * poll stores it (upsert, quarantine resolved, the intake staged) in one transaction, and the intake
 * flushed after the commit; when it still fails, the entry stays with the new reason and field.
 */
export async function retryQuarantined(deps: RetryDeps, id: number): Promise<RetryOutcome> {
  const { db } = deps;
  const entry = getQuarantined(db, id);
  if (!entry) throw new ValidationError(`no quarantined order ${id}; list them with: ordersync quarantine list`, 'id');
  const base = { id, accountId: entry.accountId, externalId: entry.externalId };
  if (entry.resolvedAt) return { ...base, outcome: 'already resolved', resolvedAt: entry.resolvedAt };

  let order: Order;
  try {
    order = NORMALIZERS[entry.platform](entry.payload, entry.externalAccountId, deps.config);
  } catch (err) {
    const field = err instanceof BadPayloadError ? err.field : undefined;
    const reason = errorMessage(err);
    await withWriteRetry(() =>
      db.$client.transaction(() => {
        requarantine(db, id, { field, reason });
        recordEvent(db, {
          type: 'order.quarantine_retry_failed',
          accountId: entry.accountId,
          message: `order ${entry.externalId ?? '(no id)'} still refused on retry: ${reason}`,
          data: { quarantineId: id, externalId: entry.externalId, field },
        });
      }).immediate(),
    );
    deps.log?.warn({ quarantineId: id, accountId: entry.accountId, externalId: entry.externalId, reason }, 'quarantined order still refused');
    return { ...base, outcome: 'still failing', field: field ?? null, reason, previousReason: entry.reason };
  }

  const stored = await withWriteRetry(() =>
    db.$client.transaction(() => {
      // An older copy than the one stored since changes nothing (upsertOrder never regresses an order).
      const result = upsertOrder(db, order, entry.payload);
      if (result.change !== 'unchanged') deps.intake?.stage(db, [{ order, result }]);
      // This copy and the order's older quarantined copies are settled; a newer copy that was refused
      // stays for its own retry (the poll resolves every entry: its good copy is the newest).
      resolveQuarantineEntry(db, id);
      resolveOlderCopies(db, entry.accountId, order.externalId, id);
      recordEvent(db, {
        type: 'order.quarantine_retried',
        accountId: entry.accountId,
        orderId: result.orderId,
        message: `order ${order.externalId} passed on retry (${result.change})`,
        data: { quarantineId: id, change: result.change },
      });
      return result;
    }).immediate(),
  );
  // After the commit: the Redis side (production jobs). Interrupted, the worker's next flush completes it.
  if (stored.change !== 'unchanged') await deps.intake?.flush();
  deps.log?.info({ quarantineId: id, accountId: entry.accountId, externalId: order.externalId, change: stored.change }, 'quarantined order stored on retry');
  return { ...base, outcome: 'stored', orderId: stored.orderId, change: stored.change };
}

/** Every unresolved entry, oldest first (an order's older copies before its newer ones). */
export async function retryAllQuarantined(deps: RetryDeps): Promise<RetryOutcome[]> {
  const out: RetryOutcome[] = [];
  for (const entry of listQuarantine(deps.db)) out.push(await retryQuarantined(deps, entry.id));
  return out;
}
