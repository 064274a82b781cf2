import { join } from 'node:path';
import { loadConfig, type Config } from '../../config/env.ts';
import type { MarketplaceAdapter } from '../../adapters/types.ts';
import type { Db } from '../../db/connection.ts';
import { startWorker, type WorkerFeature } from '../../src/worker.ts';
import { REDIS_URL, silentLog, tempDir, withEphemeralPort } from '../support/env.ts';
import type { Logger } from 'pino';

/** Starts the real worker in-process on a temp data dir, a unique Redis prefix and an ephemeral port. */
export async function startTestWorker(opts: {
  prefix: string;
  /** Adapters, or a factory given the worker's database (real adapters keep tokens there). */
  adapters: MarketplaceAdapter[] | ((ctx: { db: Db }) => MarketplaceAdapter[]);
  env?: Record<string, string>;
  features?: WorkerFeature[];
  log?: Logger;
}) {
  const dir = tempDir();
  const config: Config = withEphemeralPort(loadConfig({
    REDIS_URL,
    DATA_DIR: dir.path,
    DATABASE_PATH: join(dir.path, 'orders.sqlite'),
    POLL_INTERVAL: '1h',
    SHUTDOWN_TIMEOUT: '5s',
    SANDBOX_URL: 'http://127.0.0.1:9',
    ...opts.env,
  }));
  const worker = await startWorker({
    config,
    log: opts.log ?? silentLog(),
    prefix: opts.prefix,
    adapters: (ctx) => (typeof opts.adapters === 'function' ? opts.adapters(ctx) : opts.adapters),
    features: opts.features,
  });
  return {
    worker,
    dir,
    async dispose() {
      await worker.stop();
      dir.remove();
    },
  };
}
