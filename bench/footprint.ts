import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../jobs/connection.ts';
import { REDIS_URL, round } from './support.ts';

/**
 * The worker as a deployment runs it: its own process (the sandbox in another, as the marketplaces are
 * elsewhere), three accounts polled every 5 s for `minutes`. Each variant is one way of starting it:
 * the production bundle with the service's memory settings (what `npm start` does), and the TypeScript
 * sources without them (what it did before). Reported per variant: time to /healthz, RSS at start,
 * steady (median of the second half) and peak, V8 heap used, and CPU % over the second half.
 */
export const VARIANTS = {
  'bundle + settings': { args: ['--max-semi-space-size=2', '--optimize-for-size', 'dist/main.js'], env: { MALLOC_ARENA_MAX: '2' } },
  bundle: { args: ['dist/main.js'], env: {} },
  'sources + settings': { args: ['--max-semi-space-size=2', '--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main.ts'], env: { MALLOC_ARENA_MAX: '2' } },
  sources: { args: ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main.ts'], env: {} },
} as const;
export type Variant = keyof typeof VARIANTS;

const freePort = () =>
  new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => res(port));
    });
  });

/** Resident memory (kB -> MB) and CPU seconds (user + system) of a process, from /proc. */
function usage(pid: number): { rssMb: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(stat[11]) + Number(stat[12]); // utime, stime (fields 14, 15)
    return { rssMb: round(rssKb / 1024, 1), cpuSeconds: ticks / 100 };
  } catch {
    return undefined;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function heapUsedMb(url: string): Promise<number | undefined> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text()).catch(() => '');
  const used = /^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1];
  return used ? round(Number(used) / 1024 / 1024, 1) : undefined;
}

async function runVariant(dir: string, sandboxUrl: string, variant: Variant, minutes: number) {
  const port = await freePort();
  const prefix = `osw-bench-footprint-${randomUUID().slice(0, 6)}`;
  const url = `http://127.0.0.1:${port}`;
  const { args, env } = VARIANTS[variant];
  const t0 = Date.now();
  const worker: ChildProcess = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH,
      ENV_FILE: '/nonexistent',
      ...env,
      SANDBOX_URL: sandboxUrl,
      SANDBOX_RATE_SCALE: '100',
      REDIS_URL,
      REDIS_PREFIX: prefix,
      DATA_DIR: join(dir, prefix),
      HTTP_PORT: String(port),
      POLL_INTERVAL: '5s',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let healthzMs: number | undefined;
  while (healthzMs === undefined && Date.now() - t0 < 60_000) {
    if ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok) healthzMs = Date.now() - t0;
    else await sleep(20);
  }
  const start = usage(worker.pid!)!;
  const samples: { at: number; rssMb: number; cpuSeconds: number }[] = [];
  const heap: number[] = [];
  const end = Date.now() + minutes * 60_000;
  while (Date.now() < end) {
    await sleep(1_000);
    const u = usage(worker.pid!);
    if (u) samples.push({ at: Date.now(), ...u });
    if (samples.length % 15 === 0) {
      const h = await heapUsedMb(url);
      if (h !== undefined) heap.push(h);
    }
  }
  const second = samples.slice(Math.floor(samples.length / 2));
  const cpuPercent = second.length > 1 ? ((second.at(-1)!.cpuSeconds - second[0]!.cpuSeconds) / ((second.at(-1)!.at - second[0]!.at) / 1000)) * 100 : undefined;
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  const redis = new Redis(REDIS_URL);
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
  return {
    variant,
    minutes,
    healthzMs,
    rssStartMb: start.rssMb,
    rssSteadyMb: median(second.map((s) => s.rssMb)),
    rssPeakMb: Math.max(...samples.map((s) => s.rssMb)),
    heapUsedMb: heap.length ? median(heap) : undefined,
    cpuPercent: cpuPercent === undefined ? undefined : round(cpuPercent, 2),
  };
}

/** The bundle is what `npm start` runs: built as `npm start` builds it. */
function buildBundle() {
  const built = spawnSync(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', '.ci/build.ts'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the bundle did not build');
}

/**
 * Orders stored in the worker's database (read-only; 0 while it does not exist yet); with
 * `placedBefore`, only those placed before that time (a backlog, not what arrived since).
 */
async function storedOrders(dbPath: string, placedBefore?: string): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 2_000 });
    try {
      return (db.prepare('SELECT count(*) AS n FROM orders WHERE purchased_at < ?').get(placedBefore ?? '9999') as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

/**
 * A backlog as a new shop's first sync meets it: the sandbox (its own process, limits x10,000 so the
 * API is not what is measured) holds `orders` orders over the three platforms; the worker (bundle +
 * settings, as `npm start`) drains it. Peak RSS while it does, and orders per second end to end.
 */
export async function benchBacklog(dir: string, orders: number) {
  buildBundle();
  const port = await freePort();
  const perPlatform = Math.ceil(orders / 3);
  const sandbox = spawn(
    process.execPath,
    // Placed three days back, as a new shop's history is: orders placed in the last two minutes would
    // sit in Amazon's settle window and keep every poll re-reading them through the overlap.
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'sandbox/main.ts', '--port', String(port), '--rate-scale', '10000', '--initial-orders', String(perPlatform), '--initial-age', String(3 * 86_400), '--seed', '13'],
    { stdio: 'ignore' },
  );
  const sandboxUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1_200 && !(await fetch(`${sandboxUrl}/__sandbox/health`).catch(() => undefined))?.ok; i++) await sleep(100);
  const prefix = `osw-bench-backlog-${randomUUID().slice(0, 6)}`;
  const dataDir = join(dir, prefix);
  const httpPort = await freePort();
  const { args, env } = VARIANTS['bundle + settings'];
  const t0 = Date.now();
  const worker = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, ENV_FILE: '/nonexistent', ...env, SANDBOX_URL: sandboxUrl, SANDBOX_RATE_SCALE: '10000', REDIS_URL, REDIS_PREFIX: prefix, DATA_DIR: dataDir, HTTP_PORT: String(httpPort), POLL_INTERVAL: '2s', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peakRssMb = 0;
  let stored = 0;
  let grewAt = Date.now();
  let ninetyNineAt: number | undefined;
  // The sandbox keeps placing orders meanwhile (now): the backlog is what was placed days ago.
  const backlogPlacedBefore = new Date(t0 - 86_400_000).toISOString();
  const total = perPlatform * 3;
  // Until every order is in, or nothing more arrived for 60 s (orders a read skipped: reported).
  while (stored < total && Date.now() - grewAt < 60_000 && Date.now() - t0 < 15 * 60_000) {
    await sleep(500);
    peakRssMb = Math.max(peakRssMb, usage(worker.pid!)?.rssMb ?? 0);
    const now = await storedOrders(join(dataDir, 'orders.sqlite'), backlogPlacedBefore);
    if (now > stored) grewAt = Date.now();
    if (now >= total * 0.99 && stored < total * 0.99) ninetyNineAt = Date.now();
    stored = now;
  }
  const seconds = (grewAt - t0) / 1000;
  // The bulk of the drain; the last orders come in with later re-reads (what a read skipped).
  const secondsTo99 = ninetyNineAt ? (ninetyNineAt - t0) / 1000 : undefined;
  const afterRssMb = usage(worker.pid!)?.rssMb;
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  sandbox.kill('SIGTERM');
  const redis = new Redis(REDIS_URL);
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
  return {
    orders: total,
    stored,
    missing: Math.max(0, total - stored),
    seconds: round(seconds, 1),
    ordersPerSecondEndToEnd: Math.round(stored / seconds),
    secondsTo99Percent: secondsTo99 === undefined ? undefined : round(secondsTo99, 1),
    ordersPerSecondTo99Percent: secondsTo99 === undefined ? undefined : Math.round((total * 0.99) / secondsTo99),
    peakRssMb,
    rssAfterMb: afterRssMb,
  };
}

export async function benchFootprint(dir: string, minutes: number, variants: Variant[] = Object.keys(VARIANTS) as Variant[]) {
  buildBundle();
  const port = await freePort();
  const sandbox = spawn(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'sandbox/main.ts', '--port', String(port), '--rate-scale', '100', '--generate-every', '5000', '--initial-orders', '50', '--seed', '9'],
    { stdio: 'ignore' },
  );
  const sandboxUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150 && !(await fetch(`${sandboxUrl}/__sandbox/health`).catch(() => undefined))?.ok; i++) await sleep(100);
  try {
    const runs = [];
    for (const v of variants) runs.push(await runVariant(dir, sandboxUrl, v, minutes));
    return { accounts: 3, pollIntervalSeconds: 5, runs };
  } finally {
    sandbox.kill('SIGTERM');
  }
}
