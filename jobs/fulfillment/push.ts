import { eq, sql } from 'drizzle-orm/sql';
import type { Logger } from 'pino';
import type { MarketplaceAdapter } from '../../adapters/types.ts';
import { accountId as makeAccountId, markAccountHealth } from '../../db/accounts.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../adapters/retry.ts';
import { withWriteRetry, type Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { orderItems, orders } from '../../db/schema.ts';
import { claimShipment, getShipment, updateShipment, type Shipment } from '../../db/shipments.ts';
import { AuthError, errorMessage, isRetryable, ManualActionRequired, PermissionDeniedError, toJobError, TransientError } from '../../src/errors.ts';
import type { Metrics } from '../../src/metrics.ts';
import { markLinesShipped } from '../production/store.ts';

/** The error prefix of a shipment held back because its account's credentials were refused. */
export const WAITING_FOR_ACCOUNT = 'waiting for the account: ';
/**
 * Longer than one attempt can take (a read, the create and a read-back, 30 s each at most, and a
 * margin for the marketplace to finish a create whose answer we gave up on); a dead run's lease runs
 * out after this, and only then does the next attempt ask the marketplace and maybe send.
 */
export const PUSH_LEASE_MS = 4 * DEFAULT_REQUEST_TIMEOUT_MS;

export interface PushDeps {
  db: Db;
  adapters: MarketplaceAdapter[];
  log: Logger;
  metrics?: Metrics;
}

/** After the marketplace acknowledged: quantities, order status and production rows, in one transaction. */
function applyPushed(db: Db, s: Shipment, remoteId: string | undefined) {
  db.$client.transaction(() => {
    updateShipment(db, s.id, { state: 'pushed', remoteId: remoteId ?? null, pushedAt: new Date().toISOString(), error: null, leaseUntil: null });
    for (const l of s.lines) {
      db.update(orderItems)
        .set({ quantityShipped: sql`min(${orderItems.quantity}, ${orderItems.quantityShipped} + ${l.quantity})` })
        .where(eq(orderItems.id, l.orderItemId))
        .run();
    }
    const items = db.select().from(orderItems).where(eq(orderItems.orderId, s.orderId)).all();
    const all = items.every((i) => i.quantityShipped >= i.quantity);
    // Local view until the next poll confirms it; the marketplace's newer copy wins then.
    db.update(orders).set({ status: all ? 'shipped' : 'partially_shipped' }).where(eq(orders.id, s.orderId)).run();
    markLinesShipped(
      db,
      items.filter((i) => i.quantityShipped >= i.quantity).map((i) => i.id),
    );
    recordEvent(db, { type: 'shipment.pushed', orderId: s.orderId, shipmentId: s.id, message: `${s.carrierCode} ${s.trackingNumber} confirmed by the marketplace` });
  }).immediate();
}

/**
 * The fulfillment job: push one recorded shipment to its marketplace, exactly once. The attempt is
 * counted before the call, so any later attempt tells the adapter to check the marketplace first
 * (a crash between the upload and our bookkeeping must not upload twice).
 */
/** The shipment is leased by another push (or a dead run's lease has not run out yet). */
export class ShipmentLeasedError extends TransientError {
  override name = 'ShipmentLeasedError';
  /** When the lease ends (ms since the epoch); a retry before then would only find it held again. */
  readonly until: number;
  constructor(shipmentId: string, leaseUntil: string | null) {
    super(`shipment ${shipmentId} is held by another push until ${leaseUntil ?? 'its lease runs out'}`);
    this.until = leaseUntil ? Date.parse(leaseUntil) : Date.now() + PUSH_LEASE_MS;
  }
}

export async function pushShipmentJob(deps: PushDeps, shipmentId: string) {
  const { db, log } = deps;
  const s = getShipment(db, shipmentId);
  if (!s) return { skipped: `shipment ${shipmentId} does not exist` };
  if (s.state === 'pushed' || s.state === 'manual' || s.state === 'failed') return { skipped: `shipment is ${s.state}` };
  const order = db.select().from(orders).where(eq(orders.id, s.orderId)).get()!;
  const adapter = deps.adapters.find((a) => makeAccountId(a.platform, a.accountId) === order.accountId);
  if (!adapter) throw new Error(`no adapter for ${order.accountId} is running; the push waits for it`);

  const attempts = await withWriteRetry(() => claimShipment(db, s.id, PUSH_LEASE_MS));
  if (attempts === undefined) {
    const now = getShipment(db, s.id);
    if (!now || now.state !== 'pushing') return { skipped: `shipment is ${now?.state ?? 'gone'}` };
    // Another run holds it (or a dead run's lease has not run out): this job tries again when the lease ends.
    throw new ShipmentLeasedError(s.id, now.leaseUntil);
  }
  try {
    const result = await adapter.pushShipment({
      shipmentId: s.id,
      orderExternalId: order.externalId,
      carrier: s.carrier,
      trackingNumber: s.trackingNumber,
      shippedAt: s.shippedAt,
      lines: s.lines.map((l) => ({ externalLineId: l.externalLineId, quantity: l.quantity })),
      noteToBuyer: s.noteToBuyer ?? undefined,
      retry: attempts > 1,
    });
    await withWriteRetry(() => applyPushed(db, s, result.remoteId));
    deps.metrics?.shipmentPush(adapter.platform, result.alreadyPresent ? 'already_present' : 'pushed');
    log.info({ shipmentId: s.id, order: order.externalId, alreadyPresent: result.alreadyPresent }, 'shipment pushed');
    return result;
  } catch (err) {
    if (isRetryable(err)) {
      // The lease is given back: the next attempt (which asks the marketplace first) may claim it.
      await withWriteRetry(() => updateShipment(db, s.id, { error: errorMessage(err), leaseUntil: null }));
      deps.metrics?.shipmentPush(adapter.platform, 'retry');
      throw err;
    }
    if (err instanceof AuthError && !(err instanceof PermissionDeniedError)) {
      // The account's token or the app's own settings were refused: not this shipment's fault, and no
      // retry can fix it. It waits as pending and is pushed once the account works again (the next
      // successful poll, or a restart with fixed settings). A permission refusal is the shipment's failure.
      const reason = errorMessage(err);
      await withWriteRetry(() =>
        db.$client.transaction(() => {
          updateShipment(db, s.id, { state: 'pending', error: `${WAITING_FOR_ACCOUNT}${reason}`, leaseUntil: null });
          markAccountHealth(db, order.accountId, false, reason);
          recordEvent(db, { type: 'account.unhealthy', accountId: order.accountId, shipmentId: s.id, message: reason });
        }).immediate(),
      );
      deps.metrics?.shipmentPush(adapter.platform, 'waiting_for_account');
      log.error({ shipmentId: s.id, order: order.externalId, reason }, 'ALERT: account refused; shipment waits for working credentials');
      throw toJobError(err);
    }
    const manual = err instanceof ManualActionRequired;
    const todo = manual ? err.todo : undefined;
    await withWriteRetry(() =>
      db.$client.transaction(() => {
        updateShipment(db, s.id, { state: manual ? 'manual' : 'failed', error: todo ?? errorMessage(err), leaseUntil: null });
        recordEvent(db, {
          type: manual ? 'shipment.manual' : 'shipment.failed',
          accountId: order.accountId,
          orderId: order.id,
          shipmentId: s.id,
          message: manual ? `to do by hand: ${todo} (${errorMessage(err)})` : `push refused: ${errorMessage(err)}`,
        });
      }).immediate(),
    );
    deps.metrics?.shipmentPush(adapter.platform, manual ? 'manual' : 'failed');
    log.error({ shipmentId: s.id, order: order.externalId, reason: errorMessage(err) }, manual ? 'ALERT: shipment needs a manual step' : 'ALERT: shipment push failed');
    throw toJobError(err);
  }
}

/** Called by BullMQ when the last attempt failed with a retryable error: the shipment is failed for good. */
export function giveUp(db: Db, shipmentId: string, reason: string, log?: Logger) {
  const s = getShipment(db, shipmentId);
  if (!s || s.state === 'pushed' || s.state === 'manual' || s.state === 'failed') return;
  const message = `gave up after ${s.attempts} attempts: ${reason}`;
  updateShipment(db, shipmentId, { state: 'failed', error: message });
  recordEvent(db, { type: 'shipment.failed', orderId: s.orderId, shipmentId, message });
  log?.error({ shipmentId, reason }, `ALERT: shipment push ${message}`);
}
