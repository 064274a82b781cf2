import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFactories } from '../../adapters/all.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { REDIS_URL, redisPrefix, tempDir } from '../support/env.ts';

/** `ordersync sync`, `backfill` and `accounts` as an operator runs them, against the sandbox. */
const PLATFORMS = adapterFactories.map((f) => f.platform);
const keys = redisPrefix();
const dir = tempDir('osw-cli-');
let sandbox: Sandbox;
beforeAll(async () => {
  // Pages of 16+ orders: the CLI's process seals them on the sealer thread, and waits for it.
  sandbox = await startSandbox({ initialOrders: 40, seed: 21, rateScale: 50 });
});
afterAll(async () => {
  await sandbox.close();
  await keys.cleanup();
  dir.remove();
});

function ordersync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/cli.ts', ...args], {
    env: { PATH: process.env.PATH, ENV_FILE: '/nonexistent', SANDBOX_URL: sandbox.url, SANDBOX_RATE_SCALE: '50', REDIS_URL, REDIS_PREFIX: keys.prefix, DATA_DIR: dir.path },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((res) => child.on('exit', (code) => res({ code, stdout, stderr })));
}

const storedOrders = (table = 'orders') => {
  const db = new Database(join(dir.path, 'orders.sqlite'), { readonly: true });
  try {
    return (db.prepare(`select count(*) n from ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};
const sandboxOrders = () => PLATFORMS.reduce((n, p) => n + sandbox.context.store.orders[p].size, 0);

describe('ordersync sync / backfill / accounts', () => {
  it('sync --once polls every account in the foreground and prints each summary', async () => {
    const run = await ordersync('sync', '--once', '--json');
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as { accountId: string; summary: { inserted: number } }[];
    expect(results.map((r) => r.accountId.split(':')[0]).sort()).toEqual([...PLATFORMS].sort());
    expect(results.reduce((n, r) => n + r.summary.inserted, 0)).toBe(sandboxOrders());
    expect(storedOrders()).toBe(sandboxOrders());
    expect(storedOrders('order_payloads')).toBe(sandboxOrders());

    const table = await ordersync('sync', '--once', '--account', 'etsy');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^account\s+pages\s+read\s+new/m);
    expect(table.stdout.trim().split('\n')).toHaveLength(2); // the header and the one account asked for

    const refused = await ordersync('sync');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/once: only --once is supported/);
  }, 60_000);

  it('backfill --since imports a past range with progress lines, and says where it got to', async () => {
    for (const p of PLATFORMS) sandbox.context.store.add(p, 3);
    const since = new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10);
    const run = await ordersync('backfill', '--since', since, '--account', 'ebay', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/ebay:\S+ \[#+\.*\] \d+\/\d+ windows/); // progress on stderr
    const out = JSON.parse(run.stdout) as { interrupted: boolean; accounts: { accountId: string; done: number; windows: number; inserted: number }[] };
    expect(out.interrupted).toBe(false);
    expect(out.accounts).toHaveLength(1);
    expect(out.accounts[0]!.done).toBe(out.accounts[0]!.windows);
    expect(out.accounts[0]!.inserted).toBe(3); // the three new eBay orders; the rest were there already

    const bad = await ordersync('backfill', '--since', '2999-01-01');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/since: must not be in the future/);
  }, 60_000);

  it('accounts lists health, last poll and the calls left today', async () => {
    const run = await ordersync('accounts', '--json');
    expect(run.code, run.stderr).toBe(0);
    const accounts = JSON.parse(run.stdout) as { account: string; healthy: boolean; syncLagSeconds: number; callsLeftToday: number | null }[];
    expect(accounts.map((a) => a.account.split(':')[0]).sort()).toEqual([...PLATFORMS].sort());
    for (const a of accounts) {
      expect(a.healthy).toBe(true);
      expect(a.syncLagSeconds).toBeGreaterThanOrEqual(0);
    }
    // eBay and Etsy have a daily quota, spent by the calls above (scaled by 50 in the sandbox); Amazon has none.
    expect(accounts.find((a) => a.account.startsWith('amazon:'))!.callsLeftToday).toBeNull();
    const etsy = accounts.find((a) => a.account.startsWith('etsy:'))!;
    expect(etsy.callsLeftToday).toBeGreaterThan(0);
    expect(etsy.callsLeftToday).toBeLessThan(10_000 * 50);
  }, 60_000);
});
