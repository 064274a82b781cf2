import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Owner-only storage: everything the worker keeps (buyers' personal data in SQLite, the queues in
 * Redis's append-only file, the data key) is readable by the service user alone. The umask makes
 * every file this process (and the redis-server it starts) creates 0600, every directory 0700; the
 * walk tightens what an earlier version left behind.
 */
export function protectDataDir(dataDir: string, databasePath?: string): void {
  process.umask(0o077);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  tighten(dataDir, 3);
  if (databasePath && databasePath !== ':memory:') {
    for (const file of [databasePath, `${databasePath}-wal`, `${databasePath}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
  }
}

function tighten(path: string, depth: number): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    chmodSync(path, 0o700);
    if (depth > 0) for (const entry of readdirSync(path)) tighten(join(path, entry), depth - 1);
  } else if (st.isFile()) {
    chmodSync(path, 0o600);
  }
}
