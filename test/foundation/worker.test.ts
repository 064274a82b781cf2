import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { orders } from '../../db/schema.ts';
import { getCursor } from '../../db/accounts.ts';
import { openDatabase, closeDatabase } from '../../db/connection.ts';
import { loadDataKeys } from '../../src/data-keys.ts';
import { FakeAdapter, type FakeRawOrder } from '../support/fake-adapter.ts';
import { redisPrefix, silentLog, tempDir, withEphemeralPort } from '../support/env.ts';
import { startTestWorker } from './support-worker.ts';
import { loadConfig } from '../../config/env.ts';
import { startWorker } from '../../src/worker.ts';

const redis = redisPrefix();
afterAll(() => redis.cleanup());

const raw = (id: string, minute: number): FakeRawOrder => ({
  id,
  modified: new Date(Date.UTC(2026, 10, 2, 9, minute)).toISOString(),
  lines: [{ id: `${id}-1`, sku: 'STICKER-PACK', qty: 1 }],
});

async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await sleep(50);
  }
}

describe('worker', () => {
  it('creates one poll scheduler per account, which fires at start and on every interval', async () => {
    const shopA = new FakeAdapter('shop-a');
    const shopB = new FakeAdapter('shop-b');
    shopA.orders = [raw('A1', 1)];
    shopB.orders = [raw('B1', 1), raw('B2', 2)];
    const t = await startTestWorker({ prefix: `${redis.prefix}-sched`, adapters: [shopA, shopB], env: { POLL_INTERVAL: '1s' } });
    try {
      const schedulers = await t.worker.queues.poll.getJobSchedulers();
      expect(schedulers.map((s) => s.key).sort()).toEqual(['poll__etsy_shop-a__orders', 'poll__etsy_shop-b__orders']);
      expect(schedulers.every((s) => s.every === 1000)).toBe(true);
      // Fires at start, then again each second.
      await until(() => shopA.fetchCalls + shopB.fetchCalls, (n) => n >= 6);
      expect(t.worker.db.select().from(orders).all()).toHaveLength(3);
    } finally {
      await t.dispose();
    }
  });

  it('polls a stream that asks for it once more right after a regular poll that read several pages, not after one page', async () => {
    class CheckedAdapter extends FakeAdapter {
      readonly extraStreams = [{ name: 'check', everyMs: 86_400_000, afterLongRead: true }];
      streams: string[] = [];
      override fetchOrdersSince(cursor: string | null, stream = 'orders', until?: string) {
        this.streams.push(stream);
        return stream === 'check' ? (async function* () {})() : super.fetchOrdersSince(cursor, stream, until);
      }
    }
    const long = new CheckedAdapter('shop-long');
    long.orders = [1, 2, 3, 4, 5].map((m) => raw(`L${m}`, m)); // three pages of two
    const short = new CheckedAdapter('shop-short');
    short.orders = [raw('S1', 1)]; // one page
    const t = await startTestWorker({ prefix: `${redis.prefix}-after-long`, adapters: [long, short] });
    try {
      const checks = (a: CheckedAdapter) => a.streams.filter((s) => s === 'check').length;
      // Each: the scheduled check at start; the long one, a second after its three-page read.
      await until(() => checks(long), (n) => n >= 2);
      await until(() => t.worker.db.select().from(orders).all().length, (n) => n === 6);
      await sleep(500);
      expect(checks(long)).toBe(2);
      expect(checks(short)).toBe(1);
    } finally {
      await t.dispose();
    }
  });

  it('loses nothing when SIGTERM-style shutdown lands in the middle of a poll', async () => {
    const adapter = new FakeAdapter('shop-stop');
    adapter.orders = Array.from({ length: 6 }, (_, i) => raw(`S${i}`, i));
    let release!: () => void;
    const reachedPage2 = new Promise<void>((resolve) => {
      adapter.beforePage = async (i) => {
        if (i === 1) {
          resolve();
          await new Promise<void>((r) => (release = r));
        }
      };
    });
    const t = await startTestWorker({ prefix: `${redis.prefix}-stop`, adapters: [adapter] });
    const dbPath = t.worker.config.databasePath;
    await reachedPage2;
    const stopping = t.worker.stop('SIGTERM');
    await sleep(200);
    release();
    await stopping; // graceful: the running poll finishes its pages before the process closes
    const db = openDatabase(dbPath, loadDataKeys(t.worker.config));
    try {
      expect(db.select().from(orders).all()).toHaveLength(6);
      expect(getCursor(db, 'etsy:shop-stop', 'orders')).toBe(raw('S5', 5).modified);
    } finally {
      closeDatabase(db);
      t.dir.remove();
    }
  });

  it('starts its own redis-server when REDIS_URL is unset, and it is gone after exit', async () => {
    const adapter = new FakeAdapter('shop-embedded');
    adapter.orders = [raw('E1', 1)];
    const dir = tempDir();
    const config = withEphemeralPort(loadConfig({ DATA_DIR: dir.path, SANDBOX_URL: 'http://127.0.0.1:9' }));
    const worker = await startWorker({ config, log: silentLog(), prefix: 'embedded', adapters: () => [adapter] });
    try {
      expect(worker.redisTarget).toEqual({ path: `${dir.path}/redis/redis.sock` });
      expect(await worker.redis.ping()).toBe('PONG');
      const info = await worker.redis.info('persistence');
      expect(info).toMatch(/aof_enabled:1/);
      await until(() => worker.db.select().from(orders).all().length, (n) => n === 1);
    } finally {
      const pid = Number(readFileSync(`${dir.path}/redis/redis.pid`, 'utf8'));
      await worker.stop();
      expect(() => process.kill(pid, 0)).toThrow();
      dir.remove();
    }
  });
});
