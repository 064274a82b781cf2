import { gzipSync } from 'node:zlib';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from './connection.ts';
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
      payload: gzipSync(JSON.stringify(q.payload)),
    })
    .run();
}

/** A later good copy of the same order resolves its quarantine entries. */
export function resolveQuarantine(db: Db, accountId: string, externalId: string): void {
  db.update(quarantine)
    .set({ resolvedAt: new Date().toISOString() })
    .where(and(eq(quarantine.accountId, accountId), eq(quarantine.externalId, externalId), isNull(quarantine.resolvedAt)))
    .run();
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
