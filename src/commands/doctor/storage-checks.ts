import { existsSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Config } from '../../../config/env.ts';
import { MIGRATIONS_FOLDER } from '../../../db/connection.ts';
import { runningWorkerPid } from '../../data-keys.ts';
import type { DoctorCheck } from './check.ts';

const MB = 1024 * 1024;
/** Below these, free space in DATA_DIR is a warning, then a failure (SQLite and Redis's AOF grow there). */
export const DISK_WARN_BYTES = 1024 * MB;
export const DISK_FAIL_BYTES = 100 * MB;

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;
const sqlite = (name: string, status: DoctorCheck['status'], detail: string, fix?: string): DoctorCheck => ({ area: 'sqlite', name, status, detail, fix });

/**
 * Owner-only, as db/protect.ts leaves them: group access is a warning, access for every user a
 * failure (buyers' personal data and the key that opens it).
 */
function modeCheck(name: string, path: string, wanted: 0o600 | 0o700): DoctorCheck {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) === 0) return sqlite(name, 'pass', `${path} is ${octal(mode)}`);
  return sqlite(
    name,
    mode & 0o007 ? 'fail' : 'warn',
    `${path} is ${octal(mode)}: open to ${mode & 0o007 ? 'every user on this machine' : 'its group'}`,
    `chmod ${octal(wanted)} ${path} (the worker tightens it at start too)`,
  );
}

function diskCheck(dataDir: string): DoctorCheck {
  let dir = resolve(dataDir);
  while (!existsSync(dir)) dir = dirname(dir);
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  const shown = free >= 10 * 1024 * MB ? `${(free / (1024 * MB)).toFixed(0)} GB` : free >= 1024 * MB ? `${(free / (1024 * MB)).toFixed(1)} GB` : `${Math.floor(free / MB)} MB`;
  const fix = `free space on the file system of ${dir}, or move DATA_DIR to a larger one`;
  if (free < DISK_FAIL_BYTES) return sqlite('disk space', 'fail', `${shown} free in ${dir}: SQLite and Redis fail when it runs out`, fix);
  if (free < DISK_WARN_BYTES) return sqlite('disk space', 'warn', `only ${shown} free in ${dir}`, fix);
  return sqlite('disk space', 'pass', `${shown} free in ${dir}`);
}

/** Every migration in db/migrations recorded as applied, by hash, as drizzle's migrator records them. */
function schemaCheck(config: Config): DoctorCheck {
  const path = config.databasePath;
  let known: ReturnType<typeof readMigrationFiles>;
  try {
    known = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  } catch (err) {
    return sqlite('schema', 'fail', `this install has no readable migrations at ${MIGRATIONS_FOLDER}: ${(err as Error).message}`, 'reinstall (npm ci && npm run build), or rebuild the image');
  }
  let applied: { hash: string; created_at: number }[];
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const hasTable = db.prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
      applied = hasTable ? (db.prepare('select hash, created_at from __drizzle_migrations').all() as typeof applied) : [];
    } finally {
      db.close();
    }
  } catch (err) {
    return sqlite('schema', 'fail', `cannot read ${path}: ${(err as Error).message}`, `check the file (sqlite3 ${path} "pragma integrity_check") or restore it from a backup`);
  }
  const unknown = applied.filter((a) => !known.some((k) => k.hash === a.hash));
  if (unknown.length > 0) {
    return sqlite('schema', 'fail', `${path} has ${unknown.length} migration(s) this version does not know: a newer order-sync-worker wrote it`, 'run the newer version, or restore the database from a backup made with this one');
  }
  const pending = known.filter((k) => !applied.some((a) => a.hash === k.hash));
  if (pending.length === 0) return sqlite('schema', 'pass', `current: all ${known.length} migrations applied`);
  const latest = Math.max(0, ...applied.map((a) => Number(a.created_at)));
  // drizzle's migrator only applies what is newer than the last migration it recorded.
  const stuck = pending.filter((k) => k.folderMillis <= latest);
  const names = pending.map((k) => journalTag(k.folderMillis)).join(', ');
  if (stuck.length > 0) {
    return sqlite('schema', 'fail', `${names} not applied, and older than the last applied one: no start applies it`, 'restore the database from a backup; the schema is not one this version knows');
  }
  const worker = runningWorkerPid(config.dataDir);
  return worker
    ? sqlite('schema', 'fail', `${pending.length} migration(s) not applied (${names}): the running worker (pid ${worker}) started with an older version`, 'restart the worker: it applies them at start')
    : sqlite('schema', 'warn', `${pending.length} migration(s) not applied yet (${names})`, 'start the worker: it applies them at start (back the database up first)');
}

/** A migration's name for people (0006_polite_krista_starr); the migrator knows it by time and hash. */
function journalTag(when: number): string {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: { when: number; tag: string }[] };
  return journal.entries.find((e) => e.when === when)?.tag ?? String(when);
}

/** DATA_DIR, its free space, the database and the data key, as the worker needs and leaves them. */
export function checkStorage(config: Config): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  if (!existsSync(config.dataDir)) {
    return [sqlite('data directory', 'fail', `${config.dataDir} does not exist and could not be created`, 'create DATA_DIR (mode 0700) for the service user'), diskCheck(config.dataDir)];
  }
  checks.push(modeCheck('data directory', config.dataDir, 0o700), diskCheck(config.dataDir));
  for (const file of [config.databasePath, `${config.databasePath}-wal`, `${config.databasePath}-shm`]) {
    if (existsSync(file)) checks.push(modeCheck(file === config.databasePath ? 'database file' : `database file (${file.slice(config.databasePath.length + 1)})`, file, 0o600));
  }
  if (config.dataKey) checks.push(sqlite('data key', 'pass', 'DATA_KEY is set'));
  else if (existsSync(config.dataKeyFile)) checks.push(modeCheck('data key', config.dataKeyFile, 0o600));
  else {
    checks.push(
      sqlite('data key', 'fail', `${config.dataKeyFile} is missing: the tokens and personal data sealed in ${config.databasePath} cannot be opened`, 'restore the key file from your backup (or set DATA_KEY to the key)'),
    );
  }
  checks.push(schemaCheck(config));
  return checks;
}
