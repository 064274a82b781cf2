import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startTestWorker } from '../foundation/support-worker.ts';
import { getShipment } from '../../db/shipments.ts';
import { pushShipmentJob } from '../../jobs/fulfillment/push.ts';
import { recordShipment } from '../../jobs/fulfillment/record.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { captureLogger, freePort, redisPrefix, silentLog } from '../support/env.ts';
import { FakeAdapter } from '../support/fake-adapter.ts';

async function ready(url: string) {
  const t0 = Date.now();
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, ms: Date.now() - t0, body: (await res.json()) as { checks: Record<string, string> } };
}

function redisServer(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

describe('honest health', () => {
  it('/readyz says 503 within a second while another process holds SQLite locked, 200 again after', async () => {
    const redis = redisPrefix();
    const t = await startTestWorker({ prefix: `${redis.prefix}-lock`, adapters: [] });
    try {
      expect((await ready(t.worker.httpUrl)).status).toBe(200);
      const other = new Database(t.worker.config.databasePath);
      other.exec('BEGIN IMMEDIATE'); // another process's long write
      const locked = await ready(t.worker.httpUrl);
      expect(locked.status).toBe(503);
      expect(locked.body.checks.sqlite).toMatch(/locked/);
      expect(locked.ms).toBeLessThan(1_500);
      other.exec('ROLLBACK');
      other.close();
      expect((await ready(t.worker.httpUrl)).status).toBe(200);
    } finally {
      await t.dispose();
      await redis.cleanup();
    }
  });

  it('Redis gone: /readyz says 503 within a second, one JSON line per connection state change, recovery logged', async () => {
    const port = await freePort();
    let server = redisServer(port);
    await sleep(300);
    const capture = captureLogger('info');
    const t = await startTestWorker({ prefix: 'health', adapters: [], env: { REDIS_URL: `redis://127.0.0.1:${port}` }, log: capture.log });
    try {
      expect((await ready(t.worker.httpUrl)).status).toBe(200);
      server.kill('SIGKILL');
      await sleep(2_000); // many reconnect attempts meanwhile
      const down = await ready(t.worker.httpUrl);
      expect(down.status).toBe(503);
      expect(down.body.checks.redis).not.toBe('ok');
      expect(down.ms).toBeLessThan(1_500);

      const lines = capture.lines().trim().split('\n');
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow(); // nothing raw
      const unreachable = lines.map((l) => JSON.parse(l) as { msg: string; connection?: string; code?: string }).filter((l) => l.msg.startsWith('redis unreachable'));
      expect(unreachable.length).toBeGreaterThan(0);
      // One line per connection (and error kind), not one per retry.
      const perConnection = new Map<string, number>();
      for (const l of unreachable) perConnection.set(`${l.connection}|${l.code}`, (perConnection.get(`${l.connection}|${l.code}`) ?? 0) + 1);
      expect(Math.max(...perConnection.values())).toBe(1);
      expect(unreachable.some((l) => l.code === 'ECONNREFUSED')).toBe(true);

      server = redisServer(port);
      for (let i = 0; i < 50 && (await ready(t.worker.httpUrl)).status !== 200; i++) await sleep(200);
      expect((await ready(t.worker.httpUrl)).status).toBe(200);
      expect(capture.lines()).toContain('redis reachable again');
    } finally {
      await t.dispose();
      server.kill('SIGKILL');
    }
  }, 30_000);
});

describe('SQLite contention', () => {
  it('a 2 s write lock held by another process delays a poll without failing it, and the server keeps answering', async () => {
    const redis = redisPrefix();
    const adapter = new FakeAdapter('shop-contention');
    adapter.orders = [{ id: 'W1', modified: '2026-11-20T10:00:00.000Z', lines: [{ id: 'W1-1', sku: 'STICKER-PACK', qty: 1 }] }];
    const t = await startTestWorker({ prefix: `${redis.prefix}-contention`, adapters: [] });
    try {
      const other = new Database(t.worker.config.databasePath);
      other.exec('BEGIN IMMEDIATE');
      const poll = pollAccount({ db: t.worker.db, adapter, log: silentLog() });
      // The event loop is never held for more than a busy timeout: the server answers meanwhile.
      const t0 = Date.now();
      const health = await fetch(`${t.worker.httpUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(1_000);
      await sleep(2_000);
      other.exec('COMMIT');
      other.close();
      expect(await poll).toMatchObject({ inserted: 1 });
    } finally {
      await t.dispose();
      await redis.cleanup();
    }
  }, 30_000);

  it('a push while another process holds the write lock for 1 s still ends pushed, sent once', async () => {
    const redis = redisPrefix();
    const adapter = new FakeAdapter('shop-push-lock');
    adapter.orders = [{ id: 'PL1', modified: '2026-11-20T10:00:00.000Z', lines: [{ id: 'PL1-1', sku: 'STICKER-PACK', qty: 1 }] }];
    const t = await startTestWorker({ prefix: `${redis.prefix}-push-lock`, adapters: [] });
    try {
      await pollAccount({ db: t.worker.db, adapter, log: silentLog() });
      const shipment = recordShipment(t.worker.db, { order: 'PL1', carrier: 'usps', tracking: '9400100000000000771', source: 'cli' }, (_p, name) => adapter.mapCarrier(name));
      const other = new Database(t.worker.config.databasePath);
      other.exec('BEGIN IMMEDIATE');
      const push = pushShipmentJob({ db: t.worker.db, adapters: [adapter], log: silentLog() }, shipment.id);
      await sleep(1_000);
      other.exec('COMMIT');
      other.close();
      await push;
      expect(getShipment(t.worker.db, shipment.id)).toMatchObject({ state: 'pushed' });
      expect(adapter.pushed.filter((p) => p.trackingNumber === '9400100000000000771')).toHaveLength(1);
    } finally {
      await t.dispose();
      await redis.cleanup();
    }
  }, 30_000);
});
