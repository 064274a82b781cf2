import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { DataKeys } from './crypto.ts';
import * as schema from './schema.ts';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const keysByConnection = new WeakMap<Database.Database, DataKeys>();

/** The data keys this connection seals and opens personal data and tokens with. */
export function keysOf(db: Db): DataKeys {
  const keys = keysByConnection.get(db.$client);
  if (!keys) throw new Error('this database was opened without data keys');
  return keys;
}

/** How long one statement waits for SQLite's write lock, blocking (see withWriteRetry for longer). */
export const BUSY_TIMEOUT_MS = 250;

/** db/migrations beside this module (dist/migrations in the bundle, which copies them there). */
export const MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Opens (creating when needed) the SQLite database and applies pending migrations.
 * WAL lets the ops server read while the poller writes; busy_timeout rides out the short write locks.
 * `keys` seal buyers' personal data and tokens at rest (db/crypto.ts).
 */
export function openDatabase(path: string, keys: DataKeys): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  // Short: better-sqlite3 waits for a lock synchronously, so this is how long the event loop (the
  // HTTP server, every job) may stand still. Writers that must get through retry with withWriteRetry.
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.pragma('foreign_keys = ON');
  const db = drizzle(sqlite, { schema }) as Db;
  keysByConnection.set(sqlite, keys);
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return db;
}

export { schema };

const probes = new WeakMap<Database.Database, Database.Database>();

/**
 * Whether the database can be written now: a second connection asks for the write lock, waiting at
 * most `waitMs` (blocking, so kept short), and gives it back at once. For /readyz: another process
 * holding a long write lock makes the worker not ready rather than frozen-but-"ready".
 */
export function sqliteWritable(db: Db, waitMs = 200): 'ok' | string {
  let probe = probes.get(db.$client);
  if (!probe) {
    probe = new Database(db.$client.name, { timeout: waitMs, fileMustExist: true });
    probes.set(db.$client, probe);
  }
  try {
    probe.exec('BEGIN IMMEDIATE');
    probe.exec('ROLLBACK');
    return 'ok';
  } catch (err) {
    return /busy|locked/i.test((err as Error).message) ? `locked by another writer for more than ${waitMs} ms` : (err as Error).message;
  }
}

export function closeDatabase(db: Db): void {
  probes.get(db.$client)?.close();
  if (db.$client.open) db.$client.close();
}

const isBusy = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return (typeof e?.code === 'string' && e.code.startsWith('SQLITE_BUSY')) || /database is locked/i.test(e?.message ?? '');
};

/**
 * A write that must get through while another process holds SQLite's write lock (a CLI import, a
 * backup): tried again with growing pauses (the event loop free in between) for up to `maxMs`.
 */
export async function withWriteRetry<T>(write: () => T, maxMs = 60_000): Promise<T> {
  const end = Date.now() + maxMs;
  for (let pause = 50; ; pause = Math.min(pause * 2, 2_000)) {
    try {
      return write();
    } catch (err) {
      if (!isBusy(err) || Date.now() + pause > end) throw err;
      await sleep(pause);
    }
  }
}
