import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { REDIS_URL, redisPrefix, tempDir } from '../support/env.ts';

const redis = redisPrefix();
let sandbox: Sandbox;
const dir = tempDir('osw-doctor-cli-');

beforeAll(async () => (sandbox = await startSandbox({ seed: 17 })));
afterAll(async () => {
  await sandbox.close();
  dir.remove();
});

/** `ordersync doctor` as a user runs it: its own process, settings from the environment only. */
function ordersync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/cli.ts', ...args], {
    env: { PATH: process.env.PATH, ENV_FILE: '/nonexistent', REDIS_URL, REDIS_PREFIX: redis.prefix, DATA_DIR: dir.path, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}

describe('ordersync doctor (the CLI)', () => {
  it('passes against the sandbox (sandbox mode) and exits 0', async () => {
    const run = await ordersync(['doctor'], { SANDBOX_URL: sandbox.url });
    expect(run.code, run.out + run.err).toBe(0);
    expect(run.out).toMatch(/^PASS {2}etsy 1000001: token scopes/m);
    expect(run.out).toMatch(/^PASS {2}amazon SANDBOX-AMAZON: LWA token/m);
    expect(run.out).toMatch(/^PASS {2}ebay sandbox_seller: orders \(sell\.fulfillment\)/m);
    expect(run.out).toMatch(/^0 failed, 0 warning\(s\), \d+ passed/m);
  });

  it('prints the checks as JSON with --json', async () => {
    const run = await ordersync(['doctor', '--json'], { SANDBOX_URL: sandbox.url });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as { ok: boolean; checks: { area: string; name: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks).toContainEqual(expect.objectContaining({ area: 'sqlite', name: 'schema', status: 'pass' }));
  });

  it('exits 1 on a broken config, the setting named with its fix', async () => {
    const run = await ordersync(['doctor'], { SANDBOX_URL: sandbox.url, HTTP_PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^FAIL {2}config: HTTP_PORT +HTTP_PORT .*\n {6}fix: set HTTP_PORT \(for example HTTP_PORT=3000\)/m);
  });

  it('exits 1 when the sandbox refuses the credentials', async () => {
    await sandbox.app.inject({ method: 'POST', url: '/__sandbox/faults', payload: { platform: 'amazon', operation: 'lwaToken', status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } } });
    const run = await ordersync(['doctor'], { SANDBOX_URL: sandbox.url });
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^FAIL {2}amazon SANDBOX-AMAZON: LWA token .*invalid_client/m);
  });
});
