import { existsSync, mkdirSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { Config } from '../../../config/env.ts';
import { closeDatabase, openDatabase, type Db } from '../../../db/connection.ts';
import { newDataKey } from '../../../db/crypto.ts';
import type { AdapterContext } from '../../../adapters/registry.ts';
import type { MarketplaceAdapter } from '../../../adapters/types.ts';
import { startSandbox, type Sandbox } from '../../../sandbox/server.ts';
import { loadDataKeys } from '../../data-keys.ts';
import { errorMessage } from '../../errors.ts';
import { checkAccounts } from './account-checks.ts';
import type { DoctorCheck } from './check.ts';
import { checkConfig } from './config-check.ts';
import { checkRedis } from './redis-check.ts';
import { checkStorage } from './storage-checks.ts';

export interface DoctorOptions {
  /** The environment, .env already merged in (the command does that). */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** The adapters to check (default: the worker's). */
  adapters?: (config: Config, ctx: AdapterContext) => MarketplaceAdapter[];
  accountDeadlineMs?: number;
}

/**
 * A database that does not exist yet is created as the worker's first start would (owner-only):
 * a token Etsy rotates during the account checks must be kept, or the configured one is dead.
 */
function createDatabaseIfMissing(config: Config): DoctorCheck | undefined {
  if (existsSync(config.databasePath)) return undefined;
  const umask = process.umask(0o077);
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    closeDatabase(openDatabase(config.databasePath, loadDataKeys(config)));
    return { area: 'sqlite', name: 'database', status: 'info', detail: `${config.databasePath} did not exist: created it, as the worker's first start would` };
  } catch (err) {
    return { area: 'sqlite', name: 'database', status: 'fail', detail: `cannot create ${config.databasePath}: ${errorMessage(err)}`, fix: 'make DATA_DIR (or DATABASE_PATH\'s directory) writable for the service user' };
  } finally {
    process.umask(umask);
  }
}

/**
 * The database the account checks keep renewed tokens in: the worker's when its schema is current,
 * else a throwaway one (the tokens stored in the worker's are then not used). The built-in sandbox
 * is a fresh one each time, so its tokens never go into the worker's database.
 */
function accountsDatabase(config: Config, storage: DoctorCheck[], ownSandbox: boolean): { db: Db; theWorkers: boolean } {
  const status = (name: string) => storage.find((c) => c.name === name)?.status;
  const usable = !ownSandbox && status('schema') === 'pass' && status('data key') !== 'fail';
  if (usable) {
    try {
      return { db: openDatabase(config.databasePath, loadDataKeys(config)), theWorkers: true };
    } catch {
      // reported by the storage checks
    }
  }
  return { db: openDatabase(':memory:', { current: newDataKey(), previous: [] }), theWorkers: false };
}

/** Every check of `ordersync doctor`, in order: config, Redis, SQLite, then each account. */
export async function runDoctor(o: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const { config, checks } = checkConfig(o.env ?? process.env);
  if (!config) return checks; // nothing else can be judged without it
  checks.push(...(await checkRedis(config)));
  const created = createDatabaseIfMissing(config);
  const storage = [...(created ? [created] : []), ...checkStorage(config)];
  checks.push(...storage);

  let sandbox: Sandbox | undefined;
  if (config.sandboxMode && !config.sandboxUrl) sandbox = await startSandbox();
  const { db, theWorkers } = accountsDatabase(config, storage, !!sandbox);
  try {
    checks.push(
      ...(await checkAccounts({
        config,
        db,
        // Etsy rotates its refresh token when the check renews the access token: the new one must go
        // where the worker reads it, or the worker's copy is dead. Without that database, Etsy waits.
        skip: !theWorkers && !sandbox && !config.sandboxMode ? { etsy: 'the worker\'s database is not usable yet (see the sqlite lines above), and an Etsy check can rotate the refresh token the worker keeps there: fix those, or start the worker once (it applies the migrations), then run the doctor again' } : undefined,
        log: o.log ?? pino({ level: 'silent' }),
        sandboxUrl: config.sandboxMode ? (config.sandboxUrl ?? sandbox?.url) : undefined,
        adapters: o.adapters,
        deadlineMs: o.accountDeadlineMs,
      })),
    );
  } finally {
    closeDatabase(db);
    await sandbox?.close();
  }
  return checks;
}
