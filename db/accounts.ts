import { and, eq, sql } from 'drizzle-orm/sql';
import type { Platform } from '../adapters/types.ts';
import { keysOf, type Db } from './connection.ts';
import { openText, sealText } from './crypto.ts';
import { accounts, syncCursors } from './schema.ts';

export const accountId = (platform: Platform, externalAccountId: string) => `${platform}:${externalAccountId}`;

export function ensureAccount(db: Db, platform: Platform, externalAccountId: string): string {
  const id = accountId(platform, externalAccountId);
  // Read first: every poll calls this, and a write would wait for the lock each time.
  if (!getAccount(db, id)) db.insert(accounts).values({ id, platform, externalAccountId }).onConflictDoNothing().run();
  return id;
}

export function getAccount(db: Db, id: string) {
  return db.select().from(accounts).where(eq(accounts.id, id)).get();
}

export function listAccounts(db: Db) {
  return db.select().from(accounts).all();
}

export function markAccountHealth(db: Db, id: string, healthy: boolean, reason: string | null = null): void {
  db.update(accounts)
    .set({ healthy, healthReason: reason, updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` })
    .where(eq(accounts.id, id))
    .run();
}

export function markPolled(db: Db, id: string, at = new Date().toISOString()): void {
  db.update(accounts).set({ lastPolledAt: at }).where(eq(accounts.id, id)).run();
}

export interface StoredTokens {
  accessToken: string | null;
  accessTokenExpiresAt: string | null;
  refreshToken: string | null;
}

/** The tokens a refresh stored, opened (they are sealed at rest like personal data). */
export function getTokens(db: Db, id: string): StoredTokens | undefined {
  const row = db
    .select({
      accessToken: accounts.accessToken,
      accessTokenExpiresAt: accounts.accessTokenExpiresAt,
      refreshToken: accounts.refreshToken,
    })
    .from(accounts)
    .where(eq(accounts.id, id))
    .get();
  if (!row) return undefined;
  const keys = keysOf(db);
  return { ...row, accessToken: openText(keys, row.accessToken, 'accounts.access_token'), refreshToken: openText(keys, row.refreshToken, 'accounts.refresh_token') };
}

/** Persists tokens a refresh returned, sealed; a rotated refresh token must outlive the process. */
export function saveTokens(db: Db, id: string, tokens: Partial<StoredTokens>): void {
  const keys = keysOf(db);
  const sealed: Partial<StoredTokens> = { ...tokens };
  if (tokens.accessToken !== undefined) sealed.accessToken = sealText(keys, tokens.accessToken, 'accounts.access_token');
  if (tokens.refreshToken !== undefined) sealed.refreshToken = sealText(keys, tokens.refreshToken, 'accounts.refresh_token');
  db.update(accounts).set(sealed).where(eq(accounts.id, id)).run();
}

export function getCursor(db: Db, id: string, stream: string): string | null {
  const row = db
    .select({ cursor: syncCursors.cursor })
    .from(syncCursors)
    .where(and(eq(syncCursors.accountId, id), eq(syncCursors.stream, stream)))
    .get();
  return row?.cursor ?? null;
}

export function setCursor(db: Db, id: string, stream: string, cursor: string): void {
  db.insert(syncCursors)
    .values({ accountId: id, stream, cursor })
    .onConflictDoUpdate({
      target: [syncCursors.accountId, syncCursors.stream],
      set: { cursor, updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` },
    })
    .run();
}
