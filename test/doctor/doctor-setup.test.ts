import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/commands/doctor/check.ts';
import { runDoctor } from '../../src/commands/doctor/run.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { redisPrefix, tempDir } from '../support/env.ts';
import { assertMatchesSchema } from '../support/spec-schemas.ts';
import { adaptersAt, finding, goodEnv } from './support.ts';

const redis = redisPrefix();
let sandbox: Sandbox;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => (sandbox = await startSandbox({ seed: 16 })));
afterAll(() => sandbox.close());
beforeEach(() => (dir = tempDir('osw-doctor-')));
afterEach(() => dir.remove());

const doctor = (env: NodeJS.ProcessEnv = {}) => runDoctor({ env: { ...goodEnv(dir.path, redis.prefix), ...env }, adapters: adaptersAt(sandbox.url) });
const dbPath = () => join(dir.path, 'orders.sqlite');

describe('ordersync doctor: config, Redis, SQLite', () => {
  it('fails a broken config naming each setting, and checks nothing else', async () => {
    const checks = await doctor({ ETSY_SHOP_ID: 'my-shop', POLL_INTERVAL: 'often' });
    expect(checks.every((c) => c.area === 'config' && c.status === 'fail')).toBe(true);
    expect(finding(checks, 'config', 'ETSY_SHOP_ID').detail).toBe('ETSY_SHOP_ID must be the numeric shop id');
    expect(finding(checks, 'config', 'ETSY_SHOP_ID').fix).toMatch(/set ETSY_SHOP_ID \(for example ETSY_SHOP_ID=12345678\)/);
    expect(finding(checks, 'config', 'POLL_INTERVAL').status).toBe('fail');
    expect(exitCodeOf(checks)).toBe(1);
  });

  it('names the missing half of a platform\'s credentials', async () => {
    const check = finding(await doctor({ ETSY_SHARED_SECRET: '' }), 'config', 'ETSY_SHARED_SECRET');
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/is missing while .* are set/);
  });

  it('creates a missing database owner-only, with the schema current', async () => {
    const checks = await doctor();
    expect(finding(checks, 'sqlite', 'database').status).toBe('info');
    for (const name of ['data directory', 'disk space', 'database file', 'data key', 'schema']) expect(finding(checks, 'sqlite', name).status).toBe('pass');
    expect(finding(checks, 'sqlite', 'schema').detail).toMatch(/^current: all \d+ migrations applied$/);
  });

  it('warns about a migration not applied yet, and fails one the database has but this version does not know', async () => {
    await doctor(); // creates the database
    const db = new Database(dbPath());
    db.prepare('delete from __drizzle_migrations where created_at = (select max(created_at) from __drizzle_migrations)').run();
    db.close();
    const pending = finding(await doctor(), 'sqlite', 'schema');
    expect(pending.status).toBe('warn');
    expect(pending.detail).toMatch(/1 migration\(s\) not applied yet \(0\d{3}_\w+\)/);
    expect(pending.fix).toMatch(/start the worker/);

    const newer = new Database(dbPath());
    newer.prepare('insert into __drizzle_migrations (hash, created_at) values (?, ?)').run('f'.repeat(64), Date.now() * 2);
    newer.close();
    const unknown = finding(await doctor(), 'sqlite', 'schema');
    expect(unknown.status).toBe('fail');
    expect(unknown.detail).toMatch(/this version does not know/);
  });

  it('fails a database readable by every user and warns about a key file its group can read', async () => {
    await doctor();
    chmodSync(dbPath(), 0o644);
    chmodSync(join(dir.path, 'data.key'), 0o640);
    const checks = await doctor();
    const file = finding(checks, 'sqlite', 'database file');
    expect(file.status).toBe('fail');
    expect(file.fix).toBe(`chmod 0600 ${dbPath()} (the worker tightens it at start too)`);
    expect(finding(checks, 'sqlite', 'data key').status).toBe('warn');
    expect(exitCodeOf(checks)).toBe(1);
  });

  it('fails a data directory open to everyone', async () => {
    await doctor();
    chmodSync(dir.path, 0o755);
    const check = finding(await doctor(), 'sqlite', 'data directory');
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/chmod 0700/);
  });

  it('fails the key file missing beside an existing database', async () => {
    await doctor();
    const { rmSync } = await import('node:fs');
    rmSync(join(dir.path, 'data.key'));
    const check = finding(await doctor(), 'sqlite', 'data key');
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/restore the key file/);
  });

  it('fails an unreachable REDIS_URL', async () => {
    const check = finding(await doctor({ REDIS_URL: 'redis://127.0.0.1:1' }), 'redis', 'REDIS_URL');
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/REDIS_URL/);
  });

  it('reports the embedded Redis as not running (not a failure) when no worker runs and REDIS_URL is unset', async () => {
    const checks = await doctor({ REDIS_URL: '' });
    expect(['info', 'fail']).toContain(finding(checks, 'redis', 'embedded').status); // fail only where redis-server is not installed
    expect(finding(checks, 'redis', 'embedded').detail).toMatch(/not running: the embedded Redis starts with the worker|redis-server is not installed/);
  });

  it('answers the new sandbox reads in the shapes of the official definitions', async () => {
    const shop = await sandbox.app.inject({ method: 'GET', url: '/v3/application/shops/1000001', headers: { 'x-api-key': 'sandbox-etsy-keystring:sandbox-etsy-shared-secret' } });
    expect(shop.statusCode).toBe(200);
    assertMatchesSchema('etsy/etsy-openapi-v3.json', 'components/schemas/Shop', shop.json());
    const wrongSecret = await sandbox.app.inject({ method: 'GET', url: '/v3/application/shops/1000001', headers: { 'x-api-key': 'sandbox-etsy-keystring:nope' } });
    expect(wrongSecret.statusCode).toBe(403);
    assertMatchesSchema('etsy/etsy-openapi-v3.json', 'components/schemas/ErrorSchema', wrongSecret.json());
    const scopes = await sandbox.app.inject({
      method: 'POST',
      url: '/v3/application/scopes',
      headers: { 'x-api-key': 'sandbox-etsy-keystring:sandbox-etsy-shared-secret', 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=sandbox-etsy-access-token',
    });
    expect(scopes.json()).toEqual({ scopes: expect.arrayContaining(['transactions_r', 'transactions_w']) });
  });
});
