import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { adapterFactories } from '../../adapters/all.ts';

/** The platforms whose adapters exist: the worker polls exactly these in sandbox mode. */
const PLATFORMS = adapterFactories.map((f) => f.platform);
import { freePort, REDIS_URL, redisPrefix, tempDir } from '../support/env.ts';
import { spawnWorker, type WorkerProcess } from '../support/processes.ts';

/**
 * The worker as a user runs it (`node src/main.ts`, sandbox mode), killed with SIGTERM and with
 * SIGKILL and started again: every sandbox order ends up in SQLite exactly once.
 */
const redis = redisPrefix();
let sandbox: Sandbox;
/** One port for the three runs: each starts after the one before has exited. */
let httpPort: number;
const dir = tempDir('osw-e2e-');
const dbPath = join(dir.path, 'orders.sqlite');

beforeAll(async () => {
  httpPort = await freePort();
  sandbox = await startSandbox({ initialOrders: 20, seed: 7, rateScale: 100 });
});
afterAll(async () => {
  await sandbox.close();
  await redis.cleanup();
  dir.remove();
});

function startWorkerProcess(): WorkerProcess {
  return spawnWorker({
    SANDBOX_URL: sandbox.url,
    // Two-second polls would spend Amazon's real searchOrders burst (20, then one per 178 s).
    SANDBOX_RATE_SCALE: '100',
    REDIS_URL,
    REDIS_PREFIX: redis.prefix,
    DATA_DIR: dir.path,
    DATABASE_PATH: dbPath,
    HTTP_PORT: String(httpPort),
    POLL_INTERVAL: '2s',
  });
}

const sandboxOrderCount = () => PLATFORMS.reduce((n, p) => n + sandbox.context.store.orders[p].size, 0);

function storedCounts() {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const orders = (db.prepare('select count(*) n from orders').get() as { n: number }).n;
    const distinct = (db.prepare('select count(distinct platform || account_id || external_id) n from orders').get() as { n: number }).n;
    const items = (db.prepare('select count(*) n from order_items').get() as { n: number }).n;
    return { orders, distinct, items };
  } catch {
    return { orders: 0, distinct: 0, items: 0 };
  } finally {
    db.close();
  }
}

async function until(ok: () => boolean, what: string, timeoutMs = 45_000) {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('worker process', () => {
  it('syncs the sandbox, survives SIGTERM and SIGKILL, and never duplicates', async () => {
    const first = startWorkerProcess();
    await until(() => first.output().includes('worker started'), 'the first start');
    await until(() => storedCounts().orders >= sandboxOrderCount(), 'the first sync');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('shut down cleanly');

    // New orders arrive while the worker is down; the restart picks them up from its cursors.
    for (const p of PLATFORMS) sandbox.context.store.add(p, 5);
    const second = startWorkerProcess();
    await until(() => storedCounts().orders >= sandboxOrderCount(), 'the sync after restart');
    for (const p of PLATFORMS) sandbox.context.store.add(p, 5);
    await sleep(300);
    second.child.kill('SIGKILL');
    await second.exited;

    const third = startWorkerProcess();
    // The second may have stored everything before it died: wait for the start too, or the SIGTERM
    // below can arrive before the worker's signal handlers exist.
    await until(() => third.output().includes('worker started'), 'the third start');
    // A poll the SIGKILL cut short holds its account's lease until it runs out (60 s, jobs/poll-worker.ts):
    // only then may the third worker poll that account.
    await until(() => storedCounts().orders >= sandboxOrderCount(), 'the sync after SIGKILL', 90_000);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);

    const counts = storedCounts();
    expect(counts.orders).toBe(sandboxOrderCount());
    expect(counts.distinct).toBe(counts.orders);
    const lines = PLATFORMS.reduce((n, p) => n + [...sandbox.context.store.orders[p].values()].reduce((m, o) => m + o.lines.length, 0), 0);
    expect(counts.items).toBe(lines);
  }, 240_000);
});
