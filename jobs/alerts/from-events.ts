import { and, eq, isNotNull } from 'drizzle-orm/sql';
import type { Db } from '../../db/connection.ts';
import { events, orders, productionItems } from '../../db/schema.ts';
import { productionRows } from '../production/store.ts';
import type { Alert } from './alert.ts';

export type EventRow = typeof events.$inferSelect;

/** Raised once per subject that never recovers by itself; forgotten after 30 days. */
export const ONE_OFF_SECONDS = 30 * 86_400;

/** What an event means for the alert conditions: raise one (alert), end one (recovery alert, or none). */
export type ConditionChange =
  | { kind: 'raise'; alert: Alert; keepSeconds?: number }
  | { kind: 'clear'; condition: string; recovery?: Alert };

const orderRef = (db: Db, orderId: number | null) => {
  if (orderId === null) return undefined;
  const o = db.select({ platform: orders.platform, externalId: orders.externalId }).from(orders).where(eq(orders.id, orderId)).get();
  return o ? `${o.platform} order ${o.externalId}` : `order #${orderId}`;
};

/** The events that alert, and the ones that end an alert; every other event is no change (undefined). */
export function conditionChange(db: Db, e: EventRow): ConditionChange | undefined {
  const base = {
    id: `event-${e.id}`,
    at: e.at,
    ...(e.accountId ? { accountId: e.accountId } : {}),
    ...(e.orderId !== null ? { orderId: e.orderId } : {}),
    ...(e.shipmentId ? { shipmentId: e.shipmentId } : {}),
  };
  switch (e.type) {
    case 'account.unhealthy':
      if (!e.accountId) return undefined;
      return {
        kind: 'raise',
        alert: {
          ...base,
          type: e.type,
          severity: 'critical',
          condition: `account:${e.accountId}`,
          title: `account ${e.accountId} is unhealthy`,
          message: `${e.message}. Its orders are not synced and its shipments wait until the credentials work again: fix them (see the README's setup for the platform); the next successful poll sends the all-clear.`,
        },
      };
    case 'account.healthy':
      if (!e.accountId) return undefined;
      return {
        kind: 'clear',
        condition: `account:${e.accountId}`,
        recovery: { ...base, type: e.type, severity: 'resolved', condition: `account:${e.accountId}`, title: `account ${e.accountId} is healthy again`, message: `${e.message}: orders sync again and held shipments go out.` },
      };
    case 'shipment.failed':
    case 'shipment.manual': {
      if (!e.shipmentId) return undefined;
      const order = orderRef(db, e.orderId);
      const manual = e.type === 'shipment.manual';
      return {
        kind: 'raise',
        keepSeconds: ONE_OFF_SECONDS,
        alert: {
          ...base,
          type: e.type,
          severity: manual ? 'warning' : 'critical',
          condition: `shipment:${e.shipmentId}`,
          title: manual ? `to do by hand: shipment of ${order ?? e.shipmentId}` : `shipment of ${order ?? e.shipmentId} failed`,
          message: manual
            ? e.message
            : `${e.message}. The buyer has no tracking: add it on the marketplace by hand, or fix the cause and retry the job in Bull Board (queue fulfillment).`,
        },
      };
    }
    // A failed shipment retried by hand went out after all: its condition ends (the push is news enough).
    case 'shipment.pushed':
      return e.shipmentId ? { kind: 'clear', condition: `shipment:${e.shipmentId}` } : undefined;
    case 'production.cancelled':
      return cancelledAfterStart(db, e, base);
    default:
      return undefined;
  }
}

/**
 * A cancelled order alerts only when a print of it had started (printing or printed): material and
 * printer time are spent, and a printed part must not be packed. Queued work is simply dropped.
 */
function cancelledAfterStart(db: Db, e: EventRow, base: Omit<Alert, 'type' | 'severity' | 'condition' | 'title' | 'message'>): ConditionChange | undefined {
  if (e.orderId === null) return undefined;
  const started = productionRows(db, and(eq(orders.id, e.orderId), eq(productionItems.state, 'cancelled'), isNotNull(productionItems.startedAt)));
  if (started.length === 0) return undefined;
  const order = orderRef(db, e.orderId)!;
  const lines = started.map((r) => `#${r.id} ${r.sku} x${r.quantity}${r.printedAt ? ' (already printed)' : ' (printing)'}`).join(', ');
  return {
    kind: 'raise',
    keepSeconds: ONE_OFF_SECONDS,
    alert: {
      ...base,
      type: 'production.cancelled_after_start',
      severity: 'critical',
      condition: `cancelled:${e.orderId}`,
      title: `${order} was cancelled after its print started`,
      message: `${e.message}. Stop these prints and do not pack them: ${lines}.`,
    },
  };
}
