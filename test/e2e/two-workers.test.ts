import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFactories } from '../../adapters/all.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { freePort, REDIS_URL, redisPrefix, tempDir } from '../support/env.ts';
import { busiestWindow, spawnWorker, type WorkerProcess } from '../support/processes.ts';

/**
 * Two worker processes on one Redis and one data directory (the README's failover set-up): every
 * account is polled by one of them at a time, at most once per interval, their calls together stay
 * inside the marketplaces' limits (counted by the sandbox), and when one is killed the other goes on.
 */
const PLATFORMS = adapterFactories.map((f) => f.platform);
const SCALE = 100;
const POLL_MS = 2_000;
const redis = redisPrefix();
const dir = tempDir('osw-two-');
const dbPath = join(dir.path, 'orders.sqlite');
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ initialOrders: 30, seed: 11, rateScale: SCALE });
});
afterAll(async () => {
  await sandbox.close();
  await redis.cleanup();
  dir.remove();
});

type Proc = WorkerProcess;

const startWorkerProcess = async (): Promise<Proc> =>
  spawnWorker({
    SANDBOX_URL: sandbox.url,
    SANDBOX_RATE_SCALE: String(SCALE),
    REDIS_URL,
    REDIS_PREFIX: redis.prefix,
    DATA_DIR: dir.path,
    DATABASE_PATH: dbPath,
    HTTP_PORT: String(await freePort()),
    POLL_INTERVAL: `${POLL_MS / 1000}s`,
  });

const sandboxOrderCount = () => PLATFORMS.reduce((n, p) => n + sandbox.context.store.orders[p].size, 0);
function stored(): { orders: number; distinct: number } {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('select count(*) orders, count(distinct account_id || external_id) distinct_ from orders').get() as never;
    } finally {
      db.close();
    }
  } catch {
    return { orders: 0, distinct: 0 };
  }
}
const storedOrders = () => (stored() as unknown as { orders: number }).orders;

async function until(ok: () => boolean, what: string, timeoutMs = 45_000) {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** When each worker finished a poll of the regular stream, per account. */
function pollTimes(...procs: Proc[]): Map<string, number[]> {
  const byAccount = new Map<string, number[]>();
  for (const p of procs) {
    for (const line of p.output().split('\n')) {
      if (!line.includes('"poll finished"')) continue;
      const entry = JSON.parse(line) as { accountId: string; stream: string; time: number | string };
      if (entry.stream !== 'orders') continue;
      const times = byAccount.get(entry.accountId) ?? [];
      times.push(typeof entry.time === 'number' ? entry.time : Date.parse(entry.time));
      byAccount.set(entry.accountId, times);
    }
  }
  return byAccount;
}

describe('two workers, one set of limits', () => {
  it('poll each account once per interval between them, stay inside the published rates, and one carries on when the other is killed', async () => {
    // The second joins a running first, as the README's failover set-up does (see the note on #14:
    // two first starts at the same moment on a fresh data directory are not covered).
    const a = await startWorkerProcess();
    await until(() => a.output().includes('worker started'), 'the first start');
    const b = await startWorkerProcess();
    await until(() => b.output().includes('worker started'), 'the second start').catch((err: Error) => {
      throw new Error(`${err.message}\n${b.output().slice(-1500)}`);
    });
    const t0 = Date.now();
    for (let s = 0; s < 6; s++) {
      for (const p of PLATFORMS) sandbox.context.store.add(p, 3);
      await sleep(1_000);
    }
    await until(() => storedOrders() >= sandboxOrderCount(), 'both workers to sync');
    const elapsed = Date.now() - t0;

    // Every account polled, never more than once per interval between the two (plus the first poll).
    const polls = pollTimes(a, b);
    expect(polls.size).toBe(PLATFORMS.length);
    for (const [account, times] of polls) {
      // Counted from when both run (the first polls alone meanwhile, longer on a loaded machine).
      expect(times.filter((t) => t >= t0).length, account).toBeLessThanOrEqual(Math.ceil(elapsed / POLL_MS) + 2);
      // Finish times, not start times: a poll that waited for a rate-limit token can finish close to the
      // next one, so two may end within half an interval; the count above is what shows that the two
      // workers do not both poll an account each interval.
      expect(busiestWindow(times, POLL_MS / 2), `${account}: three polls within half an interval`).toBeLessThanOrEqual(2);
    }

    // One key per field on a poll's log line (pino writes a repeated binding twice).
    const pollLine = a.output().split('\n').find((l) => l.includes('"poll finished"'))!;
    expect(pollLine.match(/"accountId":/g)).toHaveLength(1);
    expect(pollLine.match(/"stream":/g)).toHaveLength(1);

    // The sandbox enforced the published limits (scaled) with real 429s: it refused nothing.
    expect(Object.fromEntries(sandbox.context.buckets.refused)).toEqual({});

    // Failover: one killed, the other syncs what arrives next.
    a.child.kill('SIGKILL');
    await a.exited;
    for (const p of PLATFORMS) sandbox.context.store.add(p, 4);
    await until(() => storedOrders() >= sandboxOrderCount(), 'the survivor to sync');
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(b.output()).toContain('shut down cleanly');
    const counts = stored() as unknown as { orders: number; distinct_: number };
    expect(counts.orders).toBe(sandboxOrderCount());
    expect(counts.distinct_).toBe(counts.orders);
  }, 120_000);
});
