import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

/**
 * `npm run chaos`: the worker as a user runs it (its own embedded Redis with AOF, the sandbox in
 * another process), killed with SIGKILL again and again while orders arrive and shipments are
 * recorded (the marketplace holding some create answers past the client's timeout), its Redis killed
 * once mid-run; then started a last time and stopped with SIGTERM. Prints
 * lost and duplicated orders, production jobs and marketplace uploads, and writes
 * bench/results/chaos.json. Loopback only, bounded in kills and time.
 */
const { values } = parseArgs({
  options: { kills: { type: 'string', default: '25' }, seconds: { type: 'string', default: '600' }, out: { type: 'string' }, holds: { type: 'boolean', default: true }, keep: { type: 'boolean', default: false }, 'no-holds': { type: 'boolean', default: false } },
});
const HOLDS = values.holds && !values['no-holds'];
const KILLS = Number(values.kills);
const DEADLINE = Date.now() + Number(values.seconds) * 1000;
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const node = (script: string, args: string[], env: NodeJS.ProcessEnv) =>
  spawn(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', join(root, script), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function output(child: ChildProcess) {
  let text = '';
  child.stdout?.on('data', (d) => (text += d));
  child.stderr?.on('data', (d) => (text += d));
  return () => text;
}

async function until(ok: () => boolean | Promise<boolean>, ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return true;
    await sleep(100);
  }
  return false;
}

const dir = mkdtempSync(join(tmpdir(), 'osw-chaos-'));
const sandboxPort = await freePort();
const sandbox = node('sandbox/main.ts', ['--port', String(sandboxPort), '--rate-scale', '100', '--generate-every', '400', '--initial-orders', '20', '--seed', '5'], process.env);
const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
await until(async () => (await fetch(`${sandboxUrl}/__sandbox/health`).catch(() => undefined))?.ok === true, 15_000);

const httpPort = await freePort();
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  ENV_FILE: '/nonexistent',
  SANDBOX_URL: sandboxUrl,
  SANDBOX_RATE_SCALE: '100',
  DATA_DIR: dir,
  HTTP_PORT: String(httpPort),
  POLL_INTERVAL: '2s',
  LOG_LEVEL: 'info',
};
const dbPath = join(dir, 'orders.sqlite');
const recorded: string[] = [];
const api = `http://127.0.0.1:${httpPort}`;

/** Records a shipment for an unshipped stored order through the API (the push then runs under the kills). */
async function recordShipment(i: number) {
  if (!existsSync(dbPath)) return;
  const db = new Database(dbPath, { readonly: true, timeout: 2_000 });
  let row: { id: number } | undefined;
  try {
    row = db.prepare("SELECT id FROM orders WHERE status = 'unshipped' AND payment_status = 'paid' ORDER BY random() LIMIT 1").get() as { id: number } | undefined;
  } finally {
    db.close();
  }
  if (!row) return;
  const tracking = `9400${String(100_000_000 + i * 1_000 + row.id).padStart(18, '0')}`;
  const res = await fetch(`${api}/api/orders/${row.id}/shipments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ carrier: 'USPS', tracking }) }).catch(() => undefined);
  if (res?.status === 201) recorded.push(tracking);
}

let kills = 0;
let redisKills = 0;
let heldAnswers = 0;
for (; kills < KILLS && Date.now() < DEADLINE; kills++) {
  const worker = node('src/main.ts', [], env);
  const out = output(worker);
  const exited = new Promise((r) => worker.on('exit', r));
  await until(() => out().includes('worker started'), 30_000);
  await sleep(300 + Math.floor(Math.random() * 1_500));
  if (HOLDS && kills % 2 === 0) {
    // The marketplace carries the next create out but answers only after 35 s (past the 30 s timeout).
    for (const [platform, operation] of [['amazon', 'confirmShipment'], ['ebay', 'createShippingFulfillment'], ['etsy', 'createReceiptShipment']]) {
      await fetch(`${sandboxUrl}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ platform, operation, status: 200, holdMs: 35_000, count: 1 }) }).catch(() => undefined);
      heldAnswers += 1;
    }
  }
  await recordShipment(kills);
  await sleep(Math.floor(Math.random() * 1_000));
  if (kills === Math.floor(KILLS / 2)) {
    // Redis dies too (its AOF stays): the next start brings up a new one from it.
    const pidFile = join(dir, 'redis', 'redis.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
        redisKills += 1;
      } catch {
        /* already gone */
      }
    }
  }
  worker.kill('SIGKILL');
  await exited;
}

// The last run: everything settles, then a clean stop. Held answers not yet used up are dropped: a
// shipment whose every retry is held again would only settle after BullMQ's longest backoffs.
await fetch(`${sandboxUrl}/__sandbox/faults`, { method: 'DELETE' }).catch(() => undefined);
const last = node('src/main.ts', [], env);
const lastOut = output(last);
const lastExit = new Promise<number | null>((r) => last.on('exit', (code) => r(code)));
await until(() => lastOut().includes('worker started'), 30_000);
const sandboxTotal = async () => {
  const h = (await (await fetch(`${sandboxUrl}/__sandbox/health`)).json()) as { orders: Record<string, number> };
  return Object.values(h.orders).reduce((a, b) => a + b, 0);
};
// Every order the sandbox had by now must arrive, and every recorded shipment be settled.
const expected = await sandboxTotal();
let settled = false;
// A push killed mid-create holds its shipment for its lease (2 min) before it is asked again: wait longer.
for (let i = 0; i < 240 && !settled; i++) {
  await sleep(1_000);
  const db = new Database(dbPath, { readonly: true, timeout: 2_000 });
  try {
    const stored = (db.prepare('SELECT count(DISTINCT platform || account_id || external_id) AS n FROM orders').get() as { n: number }).n;
    const unpushed = (db.prepare("SELECT count(*) AS n FROM shipments WHERE state IN ('pending', 'pushing')").get() as { n: number }).n;
    settled = stored >= expected && unpushed === 0;
  } finally {
    db.close();
  }
}
const board = async (queue: string) => {
  const res = await fetch(`${api}/admin/queues/api/queues?activeQueue=${queue}&page=1&jobsPerPage=1`).catch(() => undefined);
  const body = (await res?.json().catch(() => undefined)) as { queues?: { name: string; counts: Record<string, number> }[] } | undefined;
  return body?.queues?.find((q) => q.name === queue)?.counts ?? {};
};
// The marketplace stops (no new orders, polls fail harmlessly), so the last counts hold still.
const calls = (await fetch(`${sandboxUrl}/__sandbox/calls`).then((r) => r.json()).catch(() => [])) as { operation: string; status: number; body?: Record<string, unknown> }[];
sandbox.kill('SIGTERM');
await sleep(3_000);
const productionCounts = await board('production');
const liveRows = () => {
  const d = new Database(dbPath, { readonly: true, timeout: 2_000 });
  try {
    return (d.prepare("SELECT count(*) AS n FROM production_items WHERE kind = 'print' AND state IN ('queued', 'printing') AND enqueued_at IS NOT NULL").get() as { n: number }).n;
  } finally {
    d.close();
  }
};
const printRows = liveRows();
last.kill('SIGTERM');
const exitCode = await lastExit;

const db = new Database(dbPath, { readonly: true });
const orders = (db.prepare('SELECT count(*) AS n, count(DISTINCT platform || account_id || external_id) AS d FROM orders').get() as { n: number; d: number });
const shipmentRows = db.prepare('SELECT tracking_number AS t, state, error FROM shipments').all() as { t: string; state: string; error: string | null }[];
db.close();
const uploads = new Map<string, number>();
for (const c of calls) {
  const tracking =
    c.operation === 'createReceiptShipment' ? c.body?.tracking_code
    : c.operation === 'createShippingFulfillment' ? c.body?.trackingNumber
    : c.operation === 'confirmShipment' ? (c.body?.packageDetail as { trackingNumber?: string } | undefined)?.trackingNumber
    : undefined;
  if (typeof tracking === 'string' && c.status >= 200 && c.status < 300) uploads.set(tracking, (uploads.get(tracking) ?? 0) + 1);
}
const jobsInRedis = ['waiting', 'prioritized', 'active', 'delayed'].reduce((n, s) => n + (productionCounts[s] ?? 0), 0);
const result = {
  at: new Date().toISOString(),
  kills,
  redisKills,
  heldAnswers,
  settled,
  lastExitCode: exitCode,
  shutDownCleanly: lastOut().includes('shut down cleanly'),
  orders: { sandboxHadBeforeTheLastRun: expected, stored: orders.n, duplicated: orders.n - orders.d, lost: Math.max(0, expected - orders.d) },
  productionJobs: { printLinesWaitingOrPrinting: printRows, liveJobsInRedis: jobsInRedis, duplicated: Math.max(0, jobsInRedis - printRows), lost: Math.max(0, printRows - jobsInRedis) },
  uploads: {
    shipmentsRecorded: shipmentRows.length,
    byState: Object.fromEntries([...new Set(shipmentRows.map((r) => r.state))].map((st) => [st, shipmentRows.filter((r) => r.state === st).length])),
    failedBecause: shipmentRows.filter((r) => r.state === 'failed' || r.state === 'manual').map((r) => r.error),
    uploaded: uploads.size,
    duplicated: [...uploads.values()].filter((n) => n > 1).length,
    // Marked pushed without the marketplace having it, or never settled: both would be losses.
    lost: shipmentRows.filter((r) => r.state === 'pushed' && !uploads.has(r.t)).length + shipmentRows.filter((r) => r.state === 'pending' || r.state === 'pushing').length,
  },
};
const out = values.out ?? join(here, 'results', 'chaos.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
if (values.keep) {
  // For a look afterwards: the database, the Redis AOF and the last run's log.
  writeFileSync(join(dir, 'last-run.log'), lastOut());
  console.error(`kept ${dir}`);
} else rmSync(dir, { recursive: true, force: true });
const bad = result.orders.duplicated + result.orders.lost + result.productionJobs.duplicated + result.productionJobs.lost + result.uploads.duplicated + result.uploads.lost;
process.exit(bad === 0 && settled && exitCode === 0 ? 0 : 1);
