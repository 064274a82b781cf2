import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, envSchema, isLoopback, loadConfig, parseDuration } from '../../config/env.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('config was accepted');
};

describe('config', () => {
  it('runs in sandbox mode on embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.sandboxMode).toBe(true);
    expect(config.platforms).toEqual({});
    expect(config.pollIntervalMs).toBe(5 * 60_000);
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000 });
    expect(config.redisUrl).toBeUndefined();
    expect(config.databasePath).toBe('./data/orders.sqlite');
  });

  it('enables exactly the platforms whose credentials are complete', () => {
    const config = loadConfig({ ETSY_CLIENT_ID: 'key', ETSY_SHARED_SECRET: 'secret1', ETSY_ACCESS_TOKEN: 'tok123456', ETSY_SHOP_ID: '123', POLL_INTERVAL: '90s' });
    expect(config.sandboxMode).toBe(false);
    expect(Object.keys(config.platforms)).toEqual(['etsy']);
    expect(config.platforms.etsy).toMatchObject({ shopId: '123', clientId: 'key', sharedSecret: 'secret1' });
    expect(config.pollIntervalMs).toBe(90_000);
  });

  it('lists every problem at once, each with the variable and an example', () => {
    const problems = problemsOf({
      AMAZON_SELLER_ID: 'A1',
      AMAZON_REGION: 'MARS',
      EBAY_ENVIRONMENT: 'staging',
      ETSY_SHOP_ID: 'my-shop',
      POLL_INTERVAL: 'soon',
      HTTP_PORT: '99999',
      REDIS_URL: 'http://nope',
    });
    const vars = problems.map((p) => p.variable).sort();
    expect(vars).toEqual(
      [
        'AMAZON_CLIENT_ID',
        'AMAZON_CLIENT_SECRET',
        'AMAZON_REFRESH_TOKEN',
        'AMAZON_REGION',
        'EBAY_ENVIRONMENT',
        'ETSY_ACCESS_TOKEN',
        'ETSY_CLIENT_ID',
        'ETSY_SHARED_SECRET',
        'ETSY_SHOP_ID',
        'HTTP_PORT',
        'POLL_INTERVAL',
        'REDIS_URL',
      ].sort(),
    );
    const region = problems.find((p) => p.variable === 'AMAZON_REGION')!;
    expect(region.example).toBe('NA');
    const missing = problems.find((p) => p.variable === 'AMAZON_CLIENT_ID')!;
    expect(missing.problem).toContain('AMAZON_SELLER_ID');
  });

  it('requires the Etsy shared secret with the other Etsy settings, and says where to find it', () => {
    const problems = problemsOf({ ETSY_CLIENT_ID: 'key', ETSY_ACCESS_TOKEN: 'tok123456', ETSY_SHOP_ID: '123' });
    expect(problems.map((p) => p.variable)).toEqual(['ETSY_SHARED_SECRET']);
    expect(problems[0]!.problem).toContain('Your Apps');
    expect(problems[0]!.problem).toContain('Shared secret');
    // A pasted "keystring:secret" would be sent as keystring:secret:secret and refused.
    const pasted = problemsOf({ ETSY_CLIENT_ID: 'key:secret', ETSY_SHARED_SECRET: 'secret', ETSY_ACCESS_TOKEN: 'tok123456', ETSY_SHOP_ID: '123' });
    expect(pasted.map((p) => [p.variable, p.problem])).toEqual([['ETSY_CLIENT_ID', 'is the keystring alone: put the part after the colon in ETSY_SHARED_SECRET']]);
  });

  it('decides loopback on the parsed address, not on how the name begins', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['127.attacker.example', '0.0.0.0', '::', '192.168.1.20', 'localhost.attacker.example', '1270.0.0.1']) expect(isLoopback(host), host).toBe(false);
    expect(problemsOf({ HTTP_HOST: '127.attacker.example' }).map((p) => p.variable)).toEqual(['HTTP_HOST']);
  });

  it('refuses settings out of range, each with the fix named', () => {
    const problems = problemsOf({ POLL_INTERVAL: '99999999999h', HTTP_PORT: '0', SANDBOX_URL: 'file:///etc/passwd', SHUTDOWN_TIMEOUT: '2d' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['HTTP_PORT', 'POLL_INTERVAL', 'SANDBOX_URL', 'SHUTDOWN_TIMEOUT']);
    expect(problems.find((p) => p.variable === 'POLL_INTERVAL')!.problem).toMatch(/from 1s to 1d/);
    expect(problems.find((p) => p.variable === 'SANDBOX_URL')!.problem).toMatch(/http:\/\/ or https:\/\//);
  });

  it('behind a reverse proxy (loopback bind, an outside name allowed) credentials are required too', () => {
    expect(problemsOf({ HTTP_ALLOWED_HOSTS: 'orders.example.com' }).map((p) => p.variable)).toEqual(['HTTP_ALLOWED_HOSTS']);
    expect(problemsOf({ HTTP_ALLOWED_HOSTS: 'orders.example.com', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'a' }).map((p) => p.variable)).toEqual(['ADMIN_PASSWORD']);
    expect(loadConfig({ HTTP_ALLOWED_HOSTS: 'localhost,127.0.0.2' }).http.allowedHosts).toEqual(['localhost', '127.0.0.2']);
  });

  it('wants a real password when the ops server leaves loopback', () => {
    expect(problemsOf({ HTTP_HOST: '0.0.0.0', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'a' }).map((p) => p.variable)).toEqual(['ADMIN_PASSWORD']);
    expect(problemsOf({ HTTP_HOST: '0.0.0.0', ADMIN_USER: 'operator-one', ADMIN_PASSWORD: 'operator-one' }).map((p) => p.variable)).toEqual(['ADMIN_PASSWORD']);
    expect(loadConfig({ HTTP_HOST: '127.0.0.1', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'a' }).http.adminPassword).toBe('a'); // loopback: the shop's own call
  });

  it('every setting is in .env.example and in the README table', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const key of Object.keys(envSchema.shape)) {
      expect(example, key).toMatch(new RegExp(`^${key}=`, 'm'));
      expect(readme, key).toContain(`\`${key}\``);
    }
  });

  it('refuses a non-loopback ops server without admin credentials', () => {
    expect(problemsOf({ HTTP_HOST: '0.0.0.0' }).map((p) => p.variable)).toEqual(['HTTP_HOST']);
    expect(loadConfig({ HTTP_HOST: '0.0.0.0', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'long-password-1' }).http.host).toBe('0.0.0.0');
    expect(problemsOf({ ADMIN_USER: 'ops' }).map((p) => p.variable)).toEqual(['ADMIN_PASSWORD']);
  });

  it('scales rate limits only in sandbox mode', () => {
    expect(loadConfig({ SANDBOX_RATE_SCALE: '100' }).sandboxRateScale).toBe(100);
    expect(loadConfig({}).sandboxRateScale).toBe(1);
    const ebay = { EBAY_APP_ID: 'a', EBAY_DEV_ID: 'd', EBAY_CERT_ID: 'c', EBAY_USER_TOKEN: 't' };
    expect(loadConfig(ebay).platforms.ebay).toMatchObject({ sellerId: 'default', environment: 'production' });
    expect(problemsOf({ ...ebay, SANDBOX_RATE_SCALE: '100' })).toEqual([
      expect.objectContaining({ variable: 'SANDBOX_RATE_SCALE', problem: expect.stringMatching(/only applies in sandbox mode/) }),
    ]);
    expect(problemsOf({ SANDBOX_RATE_SCALE: '-2' })[0]).toMatchObject({ variable: 'SANDBOX_RATE_SCALE' });
  });

  it('parses durations', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('five minutes')).toBeUndefined();
  });

  it('stops the process with one message and no stack trace', () => {
    const res = spawnSync(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main.ts'], {
      env: { PATH: process.env.PATH, ENV_FILE: '/nonexistent', EBAY_APP_ID: 'x', POLL_INTERVAL: 'never', LOG_LEVEL: 'loud' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('Configuration has');
    for (const v of ['EBAY_DEV_ID', 'EBAY_CERT_ID', 'EBAY_USER_TOKEN', 'POLL_INTERVAL', 'LOG_LEVEL']) expect(res.stderr).toContain(v);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
