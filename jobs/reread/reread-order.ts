import { and, eq } from 'drizzle-orm/sql';
import type { Logger } from 'pino';
import { CUSTOMIZATION_PENDING, customizationPendingOf, type MarketplaceAdapter } from '../../adapters/types.ts';
import { accountId as makeAccountId } from '../../db/accounts.ts';
import type { Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { upsertOrder } from '../../db/orders.ts';
import { orders } from '../../db/schema.ts';
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

/** Whether the stored copy still waits for a re-read (a newer copy may have completed it). */
function stillIncomplete(db: Db, accountId: string, externalId: string): boolean {
  const row = db.select({ flags: orders.flags }).from(orders).where(and(eq(orders.accountId, accountId), eq(orders.externalId, externalId))).get();
  return !!row?.flags?.includes(CUSTOMIZATION_PENDING);
}

/**
 * The re-read job: one order stored incomplete is read again, whole. Still incomplete: a
 * TransientError, so BullMQ tries again later with backoff. Complete: stored over the incomplete copy
 * (same marketplace version, more known) and handed to the intake, which releases the held print
 * work. An archive that arrived and is malformed quarantines the order, as the poll would.
 */
export async function rereadOrder(deps: RereadDeps, accountId: string, externalId: string): Promise<RereadResult> {
  const { db, log } = deps;
  if (!stillIncomplete(db, accountId, externalId)) return { skipped: 'the stored copy is complete (a newer one arrived)' };
  const adapter = deps.adapters.find((a) => makeAccountId(a.platform, a.accountId) === accountId);
  // Thrown, not skipped: the job waits for the account's adapter (a restart with it configured).
  if (!adapter?.rereadOrder) throw new TransientError(`no running adapter for ${accountId} can re-read order ${externalId}`);
  const raw = await adapter.rereadOrder(externalId);

  let order;
  try {
    order = adapter.normalize(raw);
  } catch (err) {
    if (!(err instanceof BadPayloadError)) throw err;
    db.$client.transaction(() => {
      quarantineOrder(db, { accountId, externalId, field: err.field, reason: errorMessage(err), payload: raw });
      recordEvent(db, { type: 'order.quarantined', accountId, message: `order ${externalId} quarantined on re-read: ${errorMessage(err)}`, data: { externalId, field: err.field } });
    }).immediate();
    return { quarantined: errorMessage(err) };
  }
  if (order.flags?.includes(CUSTOMIZATION_PENDING)) {
    const waiting = order.items.map(customizationPendingOf).filter(Boolean);
    throw new TransientError(`order ${externalId}: ${waiting.join('; ')}`);
  }

  const stored = db.$client.transaction(() => {
    const result = upsertOrder(db, order, raw, { sameVersionIsNewer: true });
    if (result.change === 'unchanged') return false; // a newer version was stored meanwhile: it wins
    resolveQuarantine(db, accountId, externalId);
    recordEvent(db, { type: 'order.completed', accountId, orderId: result.orderId, message: `order ${externalId}: customization read on re-read` });
    deps.intake?.stage(db, [{ order, result }]);
    return true;
  }).immediate();
  if (!stored) return { skipped: 'a newer copy of the order was stored meanwhile' };
  await deps.intake?.flush();
  log.info({ accountId, order: externalId }, 'incomplete order read again: complete now');
  return { completed: true };
}
