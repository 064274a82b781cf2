import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env.ts';
import { closeDatabase, openDatabase, type Db } from '../db/connection.ts';
import { createRedis, type RedisTarget } from '../jobs/connection.ts';
import { closeQueues, createQueues, type Queues } from '../jobs/queues.ts';
import { protectDataDir } from '../db/protect.ts';
import { loadDataKeys } from './data-keys.ts';
import { loadConfigOrExit } from './load-config.ts';

export interface CliContext {
  config: Config;
  db: Db;
  redis: Redis;
  queues: Queues;
  prefix: string;
  redisTarget: RedisTarget;
  close(): Promise<void>;
}

/**
 * What a CLI command works with: the same database and queues as the running worker. With the
 * embedded Redis the CLI talks to the worker's unix socket, so the worker must be running.
 */
export async function openCliContext(config: Config = loadConfigOrExit()): Promise<CliContext> {
  protectDataDir(config.dataDir, config.databasePath);
  const db = openDatabase(config.databasePath, loadDataKeys(config));
  const redisTarget: RedisTarget = config.redisUrl ? { url: config.redisUrl } : { path: join(resolve(config.dataDir), 'redis', 'redis.sock') };
  // BullMQ's manual workers need maxRetriesPerRequest null; a short retry budget keeps a dead Redis from hanging the CLI.
  const redis = createRedis(redisTarget, { retryStrategy: (times) => (times > 3 ? null : 200), connectionName: 'osw-cli' });
  try {
    await redis.ping();
  } catch {
    closeDatabase(db);
    redis.disconnect();
    throw new Error(
      config.redisUrl
        ? `cannot reach Redis at REDIS_URL (${config.redisUrl})`
        : `cannot reach the worker's embedded Redis at ${'path' in redisTarget ? redisTarget.path : ''}: start the worker first (npm start) or set REDIS_URL`,
    );
  }
  const queues = createQueues({ connection: redis, prefix: config.redisPrefix });
  return {
    config,
    db,
    redis,
    queues,
    prefix: config.redisPrefix,
    redisTarget,
    close: async () => {
      await closeQueues(queues);
      redis.disconnect();
      closeDatabase(db);
    },
  };
}
