import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { OrderPage } from '../../adapters/types.ts';
import { loadConfig } from '../../config/env.ts';
import { startWorker } from '../../src/worker.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { freePort, silentLog, tempDir, withEphemeralPort } from '../support/env.ts';
import { spawnWorker } from '../support/processes.ts';
import { isAlive } from '../../src/data-keys.ts';
import { FakeAdapter, type FakeRawOrder } from '../support/fake-adapter.ts';


/** A marketplace whose list call never answers: the poll waits, as on an empty limiter. */
class StuckAdapter extends FakeAdapter {
  override async *fetchOrdersSince(): AsyncIterable<OrderPage<FakeRawOrder>> {
    await new Promise(() => undefined);
  }
}

describe('shutdown is bounded and clean', () => {
  it('a poll that never ends does not keep the process: stopped within SHUTDOWN_TIMEOUT plus cleanup, embedded Redis gone', async () => {
    const dir = tempDir();
    const config = withEphemeralPort(loadConfig({ DATA_DIR: dir.path, SANDBOX_URL: 'http://127.0.0.1:9', SHUTDOWN_TIMEOUT: '1s' }));
    const worker = await startWorker({ config, log: silentLog(), prefix: 'stuck', adapters: () => [new StuckAdapter('shop-stuck')] });
    const pid = Number(readFileSync(join(dir.path, 'redis', 'redis.pid'), 'utf8'));
    for (let i = 0; i < 100 && (await worker.queues.poll.getActiveCount()) === 0; i++) await sleep(20); // the poll is running
    expect(await worker.queues.poll.getActiveCount()).toBe(1);
    const t0 = Date.now();
    await worker.stop('test');
    expect(Date.now() - t0).toBeLessThan(1_000 + 5_000 + 1_000);
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
    expect(isAlive(pid)).toBe(false);
    dir.remove();
  }, 30_000);

  it('SIGTERM while the worker is still starting: it finishes starting, shuts down cleanly, exit 0, no redis-server left', async () => {
    const dir = tempDir();
    const sandbox = await startSandbox({ initialOrders: 2, seed: 3, rateScale: 100 });
    const child = spawn(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main.ts'], {
      env: { PATH: process.env.PATH, ENV_FILE: '/nonexistent', SANDBOX_URL: sandbox.url, SANDBOX_RATE_SCALE: '100', DATA_DIR: dir.path, HTTP_PORT: String(await freePort()), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Signal as soon as the embedded Redis is up: the rest of the start is still under way.
    for (let i = 0; i < 3_000 && !out.includes('embedded redis started'); i++) await sleep(10); // loading the sources takes 3 s on a slow day
    expect(out).toContain('embedded redis started');
    expect(out).not.toContain('worker started');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('shut down cleanly');
    const pidFile = join(dir.path, 'redis', 'redis.pid');
    expect(existsSync(pidFile)).toBe(false); // removed by a clean Redis shutdown
    expect(out).not.toMatch(/"level":(50|60)/); // no error or fatal line
    await sandbox.close();
    dir.remove();
  }, 60_000);

  it('SIGTERM while polls wait for an empty rate-limit bucket: the waits are cancelled, exit 0 in seconds (not SHUTDOWN_TIMEOUT), no redis-server left', async () => {
    const dir = tempDir();
    const sandbox = await startSandbox({ initialOrders: 3, seed: 5 });
    const worker = spawnWorker({
      SANDBOX_URL: sandbox.url,
      DATA_DIR: dir.path,
      HTTP_PORT: String(await freePort()),
      // One call a minute per account: the first call of each account spends the bucket, and the
      // next (Amazon's late-orders stream, its second searchOrders) waits about a minute for a token.
      MARKETPLACE_API_RATE_LIMIT: '1',
      SHUTDOWN_TIMEOUT: '30s',
    });
    const { child, exited, output } = worker;
    const amazonPolled = () => output().split('\n').some((l) => l.includes('"poll finished"') && l.includes('amazon:SANDBOX-AMAZON'));
    for (let i = 0; i < 400 && !amazonPolled(); i++) await sleep(50);
    expect(amazonPolled()).toBe(true);
    const pid = Number(readFileSync(join(dir.path, 'redis', 'redis.pid'), 'utf8'));
    await sleep(1_000); // the late-orders poll is now waiting for its token
    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(output()).toContain('poll cancelled by the shutdown while it waited');
    expect(output()).toContain('shut down cleanly');
    expect(output()).not.toMatch(/"level":(50|60)/);
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
    expect(isAlive(pid)).toBe(false);
    await sandbox.close();
    dir.remove();
  }, 60_000);
});
