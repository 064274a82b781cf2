import type { Config } from '../../config/env.ts';
import { closeDatabase, openDatabase, type Db } from '../../db/connection.ts';
import { protectDataDir } from '../../db/protect.ts';
import { loadDataKeys } from '../data-keys.ts';
import { loadConfigOrExit } from '../load-config.ts';

/**
 * For commands that only read SQLite (orders, report, quarantine list): the database alone, so they
 * work whether or not the worker (and its embedded Redis) is running.
 */
export async function withDatabase<T>(fn: (db: Db, config: Config) => T | Promise<T>): Promise<T> {
  const config = loadConfigOrExit();
  protectDataDir(config.dataDir, config.databasePath);
  const db = openDatabase(config.databasePath, loadDataKeys(config));
  try {
    return await fn(db, config);
  } finally {
    closeDatabase(db);
  }
}
