import type { Statement } from 'better-sqlite3';
import { asc, eq, isNull, sql } from 'drizzle-orm/sql';
import { keysOf, type Db } from './connection.ts';
import { openBytes, sealBytes } from './crypto.ts';
import { packPayload, unpackPayload } from './payload-codec.ts';
import { accounts, quarantine } from './schema.ts';

export function quarantineOrder(
  db: Db,
  q: { accountId: string; externalId?: string; field?: string; reason: string; payload: unknown },
): void {
  db.insert(quarantine)
    .values({
      accountId: q.accountId,
      externalId: q.externalId ?? null,
      field: q.field ?? null,
      reason: q.reason,
      // The raw order holds the buyer's personal data: sealed like order payloads (db/crypto.ts).
      payload: sealBytes(keysOf(db), packPayload(q.payload), 'quarantine.payload'),
    })
    .run();
}

type Statements = { open: Statement<[string]>; resolve: Statement<[string, string, string]> };
const cache = new WeakMap<Db['$client'], Statements>();

/** The poll asks these for every page and every changed order: prepared once per connection. */
function statements(db: Db): Statements {
  let st = cache.get(db.$client);
  if (!st) {
    st = {
      open: db.$client.prepare<[string]>('SELECT 1 FROM quarantine WHERE account_id = ? AND resolved_at IS NULL LIMIT 1'),
      resolve: db.$client.prepare<[string, string, string]>('UPDATE quarantine SET resolved_at = ? WHERE account_id = ? AND external_id = ? AND resolved_at IS NULL'),
    };
    cache.set(db.$client, st);
  }
  return st;
}

/** Whether the account has quarantine entries not resolved yet (asked once a page: most have none). */
export function hasOpenQuarantine(db: Db, accountId: string): boolean {
  return statements(db).open.get(accountId) !== undefined;
}

/** A later good copy of the same order resolves its quarantine entries. */
export function resolveQuarantine(db: Db, accountId: string, externalId: string): void {
  statements(db).resolve.run(new Date().toISOString(), accountId, externalId);
}

const entryColumns = {
  id: quarantine.id,
  accountId: quarantine.accountId,
  platform: accounts.platform,
  externalAccountId: accounts.externalAccountId,
  externalId: quarantine.externalId,
  field: quarantine.field,
  reason: quarantine.reason,
  createdAt: quarantine.createdAt,
  updatedAt: quarantine.updatedAt,
  resolvedAt: quarantine.resolvedAt,
};

/** Quarantined orders, oldest first: unresolved ones, or all of them. */
export function listQuarantine(db: Db, opts: { includeResolved?: boolean } = {}) {
  const q = db.select(entryColumns).from(quarantine).innerJoin(accounts, eq(accounts.id, quarantine.accountId)).$dynamic();
  return (opts.includeResolved ? q : q.where(isNull(quarantine.resolvedAt))).orderBy(asc(quarantine.id)).all();
}
export type QuarantineEntry = ReturnType<typeof listQuarantine>[number];

/** One quarantined order with its raw payload, opened and decompressed. */
export function getQuarantined(db: Db, id: number): (QuarantineEntry & { payload: unknown }) | undefined {
  const row = db
    .select({ ...entryColumns, sealed: quarantine.payload })
    .from(quarantine)
    .innerJoin(accounts, eq(accounts.id, quarantine.accountId))
    .where(eq(quarantine.id, id))
    .get();
  if (!row) return undefined;
  const { sealed, ...entry } = row;
  return { ...entry, payload: unpackPayload(openBytes(keysOf(db), sealed, 'quarantine.payload')) };
}

/** A retry that still failed: the entry stays, with today's reason. */
export function requarantine(db: Db, id: number, why: { field?: string; reason: string }): void {
  db.update(quarantine)
    .set({ field: why.field ?? null, reason: why.reason, updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` })
    .where(eq(quarantine.id, id))
    .run();
}

/** A retry that passed (or found the order stored since): this entry is resolved. */
export function resolveQuarantineEntry(db: Db, id: number): void {
  db.update(quarantine)
    .set({ resolvedAt: new Date().toISOString(), updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` })
    .where(eq(quarantine.id, id))
    .run();
}

/** Entries of an order quarantined no later than entry `id` (older copies of it) are resolved. */
export function resolveOlderCopies(db: Db, accountId: string, externalId: string, id: number): void {
  db.$client
    .prepare('UPDATE quarantine SET resolved_at = ?, updated_at = ? WHERE account_id = ? AND external_id = ? AND id <= ? AND resolved_at IS NULL')
    .run(new Date().toISOString(), new Date().toISOString(), accountId, externalId, id);
}
