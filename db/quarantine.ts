import { gzipSync } from 'node:zlib';
import type { Statement } from 'better-sqlite3';
import { isNull } from 'drizzle-orm';
import { keysOf, type Db } from './connection.ts';
import { sealBytes } from './crypto.ts';
import { quarantine } from './schema.ts';

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
      payload: sealBytes(keysOf(db), gzipSync(JSON.stringify(q.payload)), 'quarantine.payload'),
    })
    .run();
}

const resolveStatements = new WeakMap<Db['$client'], Statement<[string, string, string]>>();

/** A later good copy of the same order resolves its quarantine entries. Runs for every changed order: prepared. */
export function resolveQuarantine(db: Db, accountId: string, externalId: string): void {
  let st = resolveStatements.get(db.$client);
  if (!st) {
    st = db.$client.prepare<[string, string, string]>('UPDATE quarantine SET resolved_at = ? WHERE account_id = ? AND external_id = ? AND resolved_at IS NULL');
    resolveStatements.set(db.$client, st);
  }
  st.run(new Date().toISOString(), accountId, externalId);
}

export function listQuarantine(db: Db, opts: { includeResolved?: boolean } = {}) {
  const q = db
    .select({
      id: quarantine.id,
      accountId: quarantine.accountId,
      externalId: quarantine.externalId,
      field: quarantine.field,
      reason: quarantine.reason,
      createdAt: quarantine.createdAt,
      resolvedAt: quarantine.resolvedAt,
    })
    .from(quarantine);
  return opts.includeResolved ? q.all() : q.where(isNull(quarantine.resolvedAt)).all();
}
