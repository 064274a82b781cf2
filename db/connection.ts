import { mkdirSync } from 'node:fs';
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

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

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
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = drizzle(sqlite, { schema }) as Db;
  keysByConnection.set(sqlite, keys);
  migrate(db, { migrationsFolder: MIGRATIONS });
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
