import type { Logger } from 'pino';
import type { MarketplaceAdapter, Order, OrderPage } from '../adapters/types.ts';
import { ensureAccount, getCursor, markAccountHealth, markPolled, setCursor, getAccount } from '../db/accounts.ts';
import { keysOf, withWriteRetry, type Db } from '../db/connection.ts';
import { recordEvent } from '../db/events.ts';
import { SEAL_ASIDE_MIN_ORDERS, sealAside } from '../db/order-sealer.ts';
import { changesStoredOrder, upsertOrder, type UpsertResult } from '../db/orders.ts';
import { hasOpenQuarantine, quarantineOrder, resolveQuarantine } from '../db/quarantine.ts';
import { personalFieldsOf, type SealedOrder } from '../db/sealed-order.ts';
import { AuthError, BadPayloadError, errorMessage } from '../src/errors.ts';
import type { Metrics } from '../src/metrics.ts';
import { readAhead } from './read-ahead.ts';

/**
 * How many pages are read ahead of the commits (at eBay's 200 orders a page, 800 orders), and so the
 * most committed in one transaction.
 */
export const PAGES_AHEAD = 4;

export interface ChangedOrder {
  order: Order;
  result: UpsertResult;
}

/**
 * Where changed orders go next (production classification). `stage` runs inside the page's
 * transaction, so what it writes commits with the orders; `flush` runs after the commit and
 * does the Redis side (enqueueing), which a crash can interrupt and a later flush completes.
 */
export interface OrderIntake {
  stage(db: Db, changes: ChangedOrder[]): void;
  flush(): Promise<void>;
}

export interface PollSummary {
  accountId: string;
  stream: string;
  pages: number;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** Milliseconds spent in SQLite (page transactions and bookkeeping), apart from API time. */
  dbMs: number;
}

export interface PollDeps {
  db: Db;
  adapter: MarketplaceAdapter;
  intake?: OrderIntake;
  log: Logger;
  /** Called when an account that was unhealthy polls successfully again (held shipments go out). */
  onAccountHealthy?: (accountId: string) => Promise<void>;
  /** Counts each committed page's orders (the worker's polls; a CLI sync has none). */
  metrics?: Metrics;
}

/**
 * One poll of one account, as in DESIGN.md: adapter pages -> normalize -> upsert orders + items and
 * advance the cursor in ONE transaction -> hand changed orders to the intake. A crash between pages
 * loses nothing: the next poll starts from the last committed page's cursor.
 */
export interface PollOptions {
  /** Closes the range read (a backfill window); the regular poll leaves it open. */
  until?: string;
  /**
   * False for a backfill: its reads do not count as the account's last poll (the stalled-sync alert
   * and the poll-age metric are about the regular poll).
   */
  recordPoll?: boolean;
  /** After each committed page, with the running totals (the backfill's progress). */
  onPage?: (summary: Readonly<PollSummary>) => void;
}

export async function pollAccount(deps: PollDeps, stream = 'orders', options: PollOptions = {}): Promise<PollSummary> {
  const { db, adapter, intake } = deps;
  const t0 = performance.now();
  const accountId = await withWriteRetry(() => ensureAccount(db, adapter.platform, adapter.accountId));
  const ensureMs = performance.now() - t0;
  // Every line of this poll names the account and the stream once, as bindings.
  const log = deps.log.child({ accountId, stream });
  const summary: PollSummary = { accountId, stream, pages: 0, fetched: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0, dbMs: ensureMs };
  const timed = <T>(fn: () => T): T => {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      summary.dbMs += performance.now() - t0;
    }
  };
  const cursor = timed(() => getCursor(db, accountId, stream));

  let flushing: Promise<void> = Promise.resolve();
  let flushWaiting = false;
  // Pages are fetched and normalized (their changed orders sealed aside) ahead of the commits, so the
  // marketplace's time and ours overlap. When the commits fall behind (a first sync, a catch-up),
  // the pages waiting are committed together: one transaction, one cursor (the last page's).
  const ahead = readAhead(preparedPages(adapter.fetchOrdersSince(cursor, stream, options.until), adapter, db), PAGES_AHEAD);
  try {
    for (let group = await ahead.next(); group.length > 0; group = await ahead.next()) {
      const sealed = await Promise.all(group.map((p) => p.sealed));

      // better-sqlite3's own transaction on the shared connection: drizzle queries and the prepared
      // upsert statements made through `db` inside it all commit (or roll back) together. IMMEDIATE:
      // it takes the write lock at BEGIN, waiting (busy_timeout) for a CLI import's batch to finish; a
      // deferred one that reads first fails at once with SQLITE_BUSY when another process wrote meanwhile.
      const commitPages = db.$client.transaction(() => {
        const changedByPage = group.map(({ normalized, rejected }, i) => {
          const changed: ChangedOrder[] = [];
          const openQuarantine = hasOpenQuarantine(db, accountId);
          for (const { order, raw } of normalized) {
            const result = upsertOrder(db, order, raw, { sealed: sealed[i]?.get(raw) });
            summary[result.change] += 1;
            if (result.change !== 'unchanged') {
              changed.push({ order, result });
              if (openQuarantine) resolveQuarantine(db, accountId, order.externalId);
            }
          }
          for (const { raw, err } of rejected) {
            const externalId = adapter.rawOrderId(raw);
            const field = err instanceof BadPayloadError ? err.field : undefined;
            quarantineOrder(db, { accountId, externalId, field, reason: errorMessage(err), payload: raw });
            recordEvent(db, {
              type: 'order.quarantined',
              accountId,
              message: `order ${externalId ?? '(no id)'} quarantined: ${errorMessage(err)}`,
              data: { externalId, field },
            });
          }
          intake?.stage(db, changed);
          return changed;
        });
        setCursor(db, accountId, stream, group.at(-1)!.page.nextCursor);
        return changedByPage;
      }).immediate;
      // Another process holding the write lock (an import, a backup) delays the pages; it never fails them.
      const changedByPage = await withWriteRetry(() => timed(commitPages));

      group.forEach(({ page, rejected }, i) => {
        deps.metrics?.pageCommitted(adapter.platform, changedByPage[i]!, rejected.length);
        if (!page.continues) summary.pages += 1;
        summary.fetched += page.orders.length;
        summary.quarantined += rejected.length;
        for (const { err, raw } of rejected) {
          log.warn({ externalId: adapter.rawOrderId(raw), reason: errorMessage(err) }, 'order quarantined');
        }
        options.onPage?.(summary);
      });
      // The Redis side runs beside the next pages (one flush at a time): rows not enqueued yet stay
      // in SQLite as the outbox, so a crash loses nothing and the next flush picks them up.
      // A flush takes every row committed so far, so one waiting behind the running one is enough.
      if (changedByPage.some((changed) => changed.length > 0) && intake && !flushWaiting) {
        flushWaiting = true;
        flushing = flushing.then(() => {
          flushWaiting = false;
          return intake.flush();
        });
        flushing.catch(() => undefined); // awaited below; a failure must not be an unhandled rejection meanwhile
      }
    }
    await flushing;
  } catch (err) {
    ahead.close(); // ends the adapter's read after the page in flight
    await flushing.catch(() => undefined);
    if (err instanceof AuthError) {
      await withWriteRetry(() =>
        db.$client.transaction(() => {
          markAccountHealth(db, accountId, false, err.message);
          recordEvent(db, { type: 'account.unhealthy', accountId, message: err.message });
        }).immediate(),
      );
      log.error({ reason: err.message }, 'account credentials refused; account marked unhealthy');
    }
    throw err;
  }

  // One transaction: a retry after a lock never finds the account half-updated (healthy, no event).
  const recovered = await withWriteRetry(() =>
    timed(
      db.$client.transaction(() => {
        const account = getAccount(db, accountId);
        if (account && !account.healthy) {
          markAccountHealth(db, accountId, true, null);
          recordEvent(db, { type: 'account.healthy', accountId, message: 'poll succeeded again' });
        }
        if (options.recordPoll !== false) markPolled(db, accountId);
        return account !== undefined && !account.healthy;
      }).immediate,
    ),
  );
  if (recovered) await deps.onAccountHealthy?.(accountId);
  summary.dbMs = Math.round(summary.dbMs * 100) / 100;
  const rereadStream = adapter.extraStreams?.some((s) => s.name === stream) ?? false;
  if (rereadStream && summary.inserted + summary.updated > 0) {
    // A re-read stream only finds what the regular poll missed: count it so the overlap can be tuned.
    recordEvent(db, {
      type: 'poll.missed_by_regular',
      accountId,
      message: `${stream} re-read found ${summary.inserted + summary.updated} order(s) the regular poll missed`,
      data: { stream, inserted: summary.inserted, updated: summary.updated },
    });
    log.warn({ inserted: summary.inserted, updated: summary.updated }, 're-read found orders the regular poll missed');
  }
  const { accountId: _account, stream: _stream, ...figures } = summary;
  log.info(figures, 'poll finished');
  return summary;
}

interface PreparedPage {
  page: OrderPage;
  normalized: { order: Order; raw: unknown }[];
  rejected: { raw: unknown; err: unknown }[];
  /** The orders that change their stored copy, sealed, by raw order; only for big pages (sealAside). */
  sealed?: Promise<Map<unknown, SealedOrder>>;
}

/** Each page normalized as it arrives, and its changed orders sent to be sealed aside. */
async function* preparedPages(pages: AsyncIterable<OrderPage>, adapter: MarketplaceAdapter, db: Db): AsyncGenerator<PreparedPage> {
  for await (const page of pages) {
    const normalized: PreparedPage['normalized'] = [];
    const rejected: PreparedPage['rejected'] = [];
    for (const raw of page.orders) {
      try {
        normalized.push({ order: adapter.normalize(raw), raw });
      } catch (err) {
        rejected.push({ raw, err });
      }
    }
    const changing = normalized.length >= SEAL_ASIDE_MIN_ORDERS ? normalized.filter(({ order }) => changesStoredOrder(db, order)) : [];
    const sealed = sealAside(keysOf(db), changing.map(({ order, raw }) => ({ personal: personalFieldsOf(order), raw })))?.then(
      (orders) => new Map(changing.map(({ raw }, i) => [raw, orders[i]!])),
    );
    sealed?.catch(() => undefined); // awaited by the poll when the page's turn comes
    yield { page, normalized, rejected, sealed };
  }
}
