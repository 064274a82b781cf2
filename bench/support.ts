import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { adapterFactories } from '../adapters/all.ts';
import type { MarketplaceAdapter } from '../adapters/types.ts';
import { loadConfig, type Config } from '../config/env.ts';
import { openDatabase, type Db } from '../db/connection.ts';
import { newDataKey } from '../db/crypto.ts';
import { deleteKeysWithPrefix } from '../jobs/connection.ts';
import { createQueues, type Queues } from '../jobs/queues.ts';
import type { WorkerServices } from '../src/worker.ts';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const log = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' });

/** Sandbox-mode adapters for every platform, all pointed at one sandbox. */
export function sandboxAdapters(db: Db, sandboxUrl: string, rateLimitPerMinute = 1_000_000): MarketplaceAdapter[] {
  return adapterFactories.map((f) => f.forSandbox({ db, log, sandboxUrl, rateLimitPerMinute, cacheTtlSeconds: 300 }));
}

export interface BenchStores {
  db: Db;
  dbPath: string;
  redis: Redis;
  queues: Queues;
  prefix: string;
  config: Config;
  services(adapters: MarketplaceAdapter[]): WorkerServices;
  close(): Promise<void>;
}

/** A fresh SQLite file and a unique Redis prefix, deleted on close. */
export async function benchStores(dir: string, name: string): Promise<BenchStores> {
  const dbPath = join(dir, `${name}.sqlite`);
  const db = openDatabase(dbPath, { current: newDataKey(), previous: [] });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `osw-bench-${name}-${randomUUID().slice(0, 6)}`;
  const queues = createQueues({ connection: redis, prefix });
  const config = loadConfig({ REDIS_URL, DATA_DIR: dir, DATABASE_PATH: dbPath, SANDBOX_URL: 'http://127.0.0.1:9' });
  return {
    db,
    dbPath,
    redis,
    queues,
    prefix,
    config,
    services: (adapters) => ({ config, db, redis, redisTarget: { url: REDIS_URL }, queues, prefix, adapters, log }),
    close: async () => {
      for (const q of Object.values(queues)) await q.close();
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
      db.$client.close();
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** Samples RSS every `everyMs` until stopped; returns the peak in MB. */
export function rssSampler(everyMs = 25) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return peak / 1024 / 1024;
    },
  };
}

export const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
