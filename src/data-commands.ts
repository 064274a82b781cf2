import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config/env.ts';
import { closeDatabase, openDatabase } from '../db/connection.ts';
import { encodeDataKey, keyFromFile, keysFromFile, newDataKey, parseDataKey } from '../db/crypto.ts';
import { purgePersonalData, resealAll } from '../db/personal-data.ts';
import { protectDataDir } from '../db/protect.ts';
import { loadDataKeys, runningWorkerPid } from './data-keys.ts';
import { ValidationError } from './errors.ts';
import { loadConfigOrExit } from './load-config.ts';

/**
 * Rotates the data key. With the key file (DATA_KEY unset): a new key is written beside it
 * (`data.key.next`), every value re-sealed with it, then it replaces the key file, the old key kept in
 * `data.key.previous` until nothing is sealed with it any more. With DATA_KEY: set the new key as
 * DATA_KEY and the old one as DATA_KEY_PREVIOUS, then run this to re-seal. Run it with the worker stopped.
 */
export function rotateDataKey(config: Config): string {
  const running = runningWorkerPid(config.dataDir);
  if (running) throw new ValidationError(`the worker is running (pid ${running}): stop it first, then rotate (it would keep sealing with the old key)`);
  protectDataDir(config.dataDir, config.databasePath);
  if (config.dataKey) {
    const db = openDatabase(config.databasePath, loadDataKeys(config));
    try {
      const s = resealAll(db);
      return s.left === 0
        ? `re-sealed ${s.values} values and ${s.payloads} payloads with DATA_KEY; DATA_KEY_PREVIOUS can be removed now`
        : `re-sealed ${s.values} values and ${s.payloads} payloads; ${s.left} are still under another key: stop the worker and run this again`;
    } finally {
      closeDatabase(db);
    }
  }
  const file = config.dataKeyFile;
  const next = `${file}.next`;
  const previousFile = `${file}.previous`;
  const old = keyFromFile(file);
  const fresh = existsSync(next) ? keyFromFile(next) : newDataKey(); // an interrupted rotation resumes with its key
  if (!existsSync(next)) writeFileSync(next, `${encodeDataKey(fresh)}\n`, { mode: 0o600, flag: 'wx' });
  const previous = existsSync(previousFile) ? keysFromFile(previousFile) : [];
  const db = openDatabase(config.databasePath, { current: fresh, previous: [old, ...previous, ...config.dataKeyPrevious.map(parseDataKey)] });
  let summary;
  try {
    summary = resealAll(db);
  } finally {
    closeDatabase(db);
  }
  // Every older key stays until nothing is sealed with it any more (a later run removes the file).
  const kept = [old, ...previous].filter((k, i, all) => k.id !== fresh.id && all.findIndex((x) => x.id === k.id) === i);
  writeFileSync(previousFile, kept.map((k) => `${encodeDataKey(k)}\n`).join(''), { mode: 0o600 });
  renameSync(next, file);
  if (summary.left === 0) rmSync(previousFile);
  return summary.left === 0
    ? `new data key in ${file}; re-sealed ${summary.values} values and ${summary.payloads} payloads; the old key is gone`
    : `new data key in ${file}; re-sealed ${summary.values} values and ${summary.payloads} payloads; ${summary.left} are still under the old key (kept in ${previousFile}): stop the worker and run this again`;
}

export function registerDataCommands(program: Command): void {
  program
    .command('keys')
    .description('the data key that seals personal data and tokens at rest')
    .command('rotate')
    .description('make a new data key and re-seal everything with it (stop the worker first)')
    .action(() => console.log(rotateDataKey(loadConfigOrExit())));

  program
    .command('purge')
    .description('forget the personal data of orders shipped or cancelled longer ago than PII_RETENTION_DAYS')
    .option('--days <n>', 'override PII_RETENTION_DAYS')
    .option('--dry-run', 'only count the orders')
    .action((o: { days?: string; dryRun?: boolean }) => {
      const config = loadConfigOrExit();
      const days = o.days !== undefined ? Number(o.days) : config.piiRetentionDays;
      if (days === undefined || !Number.isInteger(days) || days < 1) throw new ValidationError('name the retention: --days N (a whole number of days), or set PII_RETENTION_DAYS');
      protectDataDir(config.dataDir, config.databasePath);
      const db = openDatabase(config.databasePath, loadDataKeys(config));
      try {
        const s = purgePersonalData(db, days, { dryRun: o.dryRun });
        console.log(`${s.orders} order(s) shipped or cancelled before ${s.olderThan.slice(0, 10)} ${o.dryRun ? 'would have' : 'had'} their personal data purged`);
      } finally {
        closeDatabase(db);
      }
    });
}
