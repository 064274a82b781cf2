import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/env.ts';
import { keyFromFile, keysFromFile, parseDataKey, type DataKeys } from '../db/crypto.ts';

/**
 * The keys the database is opened with: DATA_KEY or the key file, plus DATA_KEY_PREVIOUS and what an
 * unfinished rotation left beside the key file (`.previous`, `.next`), so no sealed value is ever
 * unreadable.
 */
export function loadDataKeys(config: Config): DataKeys {
  const current = config.dataKey ? parseDataKey(config.dataKey) : keyFromFile(config.dataKeyFile);
  // The key file (when DATA_KEY took over from it), and what a rotation left beside it, may still
  // open older values: they are always readable.
  const files = config.dataKey ? [config.dataKeyFile] : [];
  const leftovers = [...files, `${config.dataKeyFile}.previous`, `${config.dataKeyFile}.next`].filter(existsSync).flatMap(keysFromFile);
  const previous = [...config.dataKeyPrevious.map(parseDataKey), ...leftovers].filter((k, i, all) => k.id !== current.id && all.findIndex((x) => x.id === k.id) === i);
  return { current, previous };
}

/** Where a worker running its own sandbox writes the sandbox's URL, for `ordersync sync` and `backfill`. */
export const sandboxUrlFile = (dataDir: string) => join(dataDir, 'sandbox.url');

/**
 * A worker's pid file in the data directory, one per process (two workers may share a data
 * directory for failover): commands that must not run beside a worker check them.
 */
export const workerPidFile = (dataDir: string, pid = process.pid) => join(dataDir, `worker-${pid}.pid`);

/** True while a process with this pid exists (signal 0 only checks). */
export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The other workers' pid files in the data directory: alive, or left by one that was killed. */
function otherWorkers(dataDir: string): { pid: number; file: string; alive: boolean }[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir).flatMap((name) => {
    const pid = Number(/^worker-(\d+)\.pid$/.exec(name)?.[1]);
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid ? [{ pid, file: join(dataDir, name), alive: isAlive(pid) }] : [];
  });
}

/** The pid of a worker running on this data directory, if any (stale files are ignored). */
export const runningWorkerPid = (dataDir: string): number | undefined => otherWorkers(dataDir).find((w) => w.alive)?.pid;

/** Removes the pid files of workers that died without removing their own (a kill -9, a power cut). */
export function removeStalePidFiles(dataDir: string): void {
  for (const w of otherWorkers(dataDir)) if (!w.alive) rmSync(w.file, { force: true });
}
