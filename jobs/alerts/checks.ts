import { asc, gt, max } from 'drizzle-orm/sql';
import type { Logger } from 'pino';
import type { MarketplaceAdapter } from '../../adapters/types.ts';
import type { AlertSettings } from '../../config/env.ts';
import type { ProductionRules } from '../../config/production.ts';
import { accountId, getAccount } from '../../db/accounts.ts';
import type { Db } from '../../db/connection.ts';
import { events } from '../../db/schema.ts';
import { productionView } from '../production/lifecycle.ts';
import type { Queues } from '../queues.ts';
import type { Alert } from './alert.ts';
import type { ConditionState } from './condition-state.ts';
import { enqueueAlert, type RetryPlan } from './enqueue.ts';
import { conditionChange, ONE_OFF_SECONDS, type ConditionChange } from './from-events.ts';

export interface CheckDeps {
  db: Db;
  queues: Queues;
  state: ConditionState;
  settings: AlertSettings;
  plan: RetryPlan;
  log: Logger;
}

/** Sends the alert of a change when the change is news (not raised already / raised before). */
async function apply(deps: CheckDeps, change: ConditionChange): Promise<Alert | undefined> {
  if (change.kind === 'raise') {
    if (!(await deps.state.raise(change.alert.condition, change.alert.id, { keepSeconds: change.keepSeconds }))) return undefined;
    await enqueueAlert(deps.queues, deps.settings, change.alert, deps.plan);
    deps.log.warn({ alert: change.alert.type, condition: change.alert.condition }, `ALERT: ${change.alert.title}`);
    return change.alert;
  }
  if (!(await deps.state.clear(change.condition)) || !change.recovery) return undefined;
  await enqueueAlert(deps.queues, deps.settings, change.recovery, deps.plan);
  deps.log.info({ alert: change.recovery.type, condition: change.condition }, change.recovery.title);
  return change.recovery;
}

export const newestEventId = (db: Db) => db.select({ id: max(events.id) }).from(events).get()?.id ?? 0;

const BATCH = 500;

/** Turns the `events` rows written since the last run into alerts; the cursor moves past each one handled. */
export async function scanEvents(deps: CheckDeps): Promise<{ events: number; alerts: number }> {
  let cursor = await deps.state.eventCursor();
  if (cursor === undefined) {
    // No cursor (a first start, or Redis lost): history is not alerted, only what happens from now on.
    await deps.state.initEventCursor(newestEventId(deps.db));
    return { events: 0, alerts: 0 };
  }
  let seen = 0;
  let sent = 0;
  for (;;) {
    const rows = deps.db.select().from(events).where(gt(events.id, cursor)).orderBy(asc(events.id)).limit(BATCH).all();
    for (const row of rows) {
      const change = conditionChange(deps.db, row);
      if (change && (await apply(deps, change))) sent += 1;
      await deps.state.advanceEventCursor(row.id);
      cursor = row.id;
    }
    seen += rows.length;
    if (rows.length < BATCH) return { events: seen, alerts: sent };
  }
}

/**
 * An account without a successful poll for 3 poll intervals alerts (once), and again ("polling
 * again") when a poll succeeds. Counted from the worker's start at the earliest: a worker that was
 * stopped for a day gets its first polls in before it calls them late.
 */
export async function checkStalledSyncs(deps: CheckDeps, adapters: MarketplaceAdapter[], opts: { pollIntervalMs: number; since: Date; now?: Date }) {
  const now = opts.now ?? new Date();
  const limitMs = 3 * opts.pollIntervalMs;
  let sent = 0;
  for (const adapter of adapters) {
    const id = accountId(adapter.platform, adapter.accountId);
    const account = getAccount(deps.db, id);
    const last = account?.lastPolledAt ?? null;
    const from = Math.max(last ? Date.parse(last) : 0, opts.since.getTime());
    const condition = `stalled:${id}`;
    const base = { condition, at: now.toISOString(), accountId: id };
    const change: ConditionChange =
      now.getTime() - from > limitMs
        ? {
            kind: 'raise',
            alert: {
              ...base,
              id: `stalled-${id}-${from}`,
              type: 'sync.stalled',
              severity: 'critical',
              title: `no successful poll of ${id} for ${Math.round((now.getTime() - from) / 60_000)} minutes`,
              message: `The last successful poll was ${last ?? 'never'} (POLL_INTERVAL is ${Math.round(opts.pollIntervalMs / 1000)} s). Look at the poll queue in Bull Board and the worker's log for the reason; a working poll sends the all-clear.`,
            },
          }
        : {
            kind: 'clear',
            condition,
            recovery: { ...base, id: `resumed-${id}-${from}`, type: 'sync.resumed', severity: 'resolved', title: `${id} is polled again`, message: `A poll succeeded at ${last ?? now.toISOString()}.` },
          };
    if (await apply(deps, change)) sent += 1;
  }
  return { alerts: sent };
}

/** Each print job the schedule says will miss its ship-by (with the packing buffer) alerts once. */
export async function checkAtRiskJobs(deps: CheckDeps, rules: ProductionRules, now = new Date()) {
  let sent = 0;
  for (const r of productionView(deps.db, rules, now)) {
    if (!r.schedule?.atRisk) continue;
    const change: ConditionChange = {
      kind: 'raise',
      keepSeconds: ONE_OFF_SECONDS,
      alert: {
        id: `at-risk-${r.id}`,
        type: 'production.at_risk',
        severity: 'warning',
        condition: `at-risk:${r.id}`,
        title: `${r.platform} order ${r.externalId} may miss its ship-by`,
        message: `Production item #${r.id} (${r.sku} x${r.quantity}) is estimated to finish ${r.schedule.estimatedFinish} on printer ${r.schedule.printer}, too late to pack before its ship-by ${r.shipBy}. Print it sooner, add a printer, or tell the buyer.`,
        at: now.toISOString(),
        accountId: r.accountId,
        orderId: r.orderId,
        productionItemId: r.id,
      },
    };
    if (await apply(deps, change)) sent += 1;
  }
  return { alerts: sent };
}
