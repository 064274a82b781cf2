import type { Logger } from 'pino';
import { CUSTOMIZATION_PENDING, customizationPendingOf, type MarketplaceAdapter } from '../../adapters/types.ts';
import { accountId as makeAccountId } from '../../db/accounts.ts';
import type { Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { upsertOrder } from '../../db/orders.ts';
import { quarantineOrder, resolveQuarantine } from '../../db/quarantine.ts';
import { BadPayloadError, errorMessage, TransientError } from '../../src/errors.ts';
import type { OrderIntake } from '../poll.ts';

export interface RereadDeps {
  db: Db;
  adapters: MarketplaceAdapter[];
  intake?: OrderIntake;
  log: Logger;
}

export type RereadResult = { completed: true } | { quarantined: string } | { skipped: string };

/**
 * The re-read job: one order stored incomplete is read again, whole. Still incomplete: a
 * TransientError, so BullMQ tries again later with backoff. Complete: stored over the incomplete copy
 * (same marketplace version, more known) and handed to the intake, which releases the held print
 * work. An archive that arrived and is malformed quarantines the order, as the poll would.
 */
export async function rereadOrder(deps: RereadDeps, accountId: string, externalId: string): Promise<RereadResult> {
  const { db, log } = deps;
  const adapter = deps.adapters.find((a) => makeAccountId(a.platform, a.accountId) === accountId);
  if (!adapter?.rereadOrder) return { skipped: `no running adapter for ${accountId} can re-read orders` };
  const raw = await adapter.rereadOrder(externalId);

  let order;
  try {
    order = adapter.normalize(raw);
  } catch (err) {
    if (!(err instanceof BadPayloadError)) throw err;
    db.$client.transaction(() => {
      quarantineOrder(db, { accountId, externalId, field: err.field, reason: errorMessage(err), payload: raw });
      recordEvent(db, { type: 'order.quarantined', accountId, message: `order ${externalId} quarantined on re-read: ${errorMessage(err)}`, data: { externalId, field: err.field } });
    })();
    return { quarantined: errorMessage(err) };
  }
  if (order.flags?.includes(CUSTOMIZATION_PENDING)) {
    const waiting = order.items.map(customizationPendingOf).filter(Boolean);
    throw new TransientError(`order ${externalId}: ${waiting.join('; ')}`);
  }

  db.$client.transaction(() => {
    const result = upsertOrder(db, order, raw, { sameVersionIsNewer: true });
    if (result.change === 'unchanged') return; // a newer version was stored meanwhile: it wins
    resolveQuarantine(db, accountId, externalId);
    recordEvent(db, { type: 'order.completed', accountId, orderId: result.orderId, message: `order ${externalId}: customization read on re-read` });
    deps.intake?.stage(db, [{ order, result }]);
  })();
  await deps.intake?.flush();
  log.info({ accountId, order: externalId }, 'incomplete order read again: complete now');
  return { completed: true };
}
