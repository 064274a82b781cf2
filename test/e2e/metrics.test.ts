import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.ts';
import { accountId, markAccountHealth } from '../../db/accounts.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { RateLimitedError } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import { startWorker, type RunningWorker } from '../../src/worker.ts';
import { REDIS_URL, redisPrefix, silentLog, tempDir, withEphemeralPort } from '../support/env.ts';

/** One sample of the Prometheus text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** The samples of `name` whose labels include `labels`. */
const select = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const sum = (samples: Sample[]) => samples.reduce((n, s) => n + s.value, 0);

const AUTH = { authorization: `Basic ${btoa('ops:metrics-pass')}` };
const PLATFORMS = ['amazon', 'ebay', 'etsy'] as const;

describe('GET /metrics after a sandbox sync', () => {
  const redis = redisPrefix();
  const dir = tempDir('osw-metrics-');
  let sandbox: Sandbox;
  let worker: RunningWorker;

  const scrape = async () => {
    const res = await fetch(`${worker.httpUrl}/metrics`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return parseMetrics(await res.text());
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ initialOrders: 6, seed: 15, rateScale: 100 });
    const config = withEphemeralPort(
      loadConfig({
        REDIS_URL,
        DATA_DIR: dir.path,
        DATABASE_PATH: join(dir.path, 'orders.sqlite'),
        SANDBOX_URL: sandbox.url,
        SANDBOX_RATE_SCALE: '100',
        POLL_INTERVAL: '1h',
        SHUTDOWN_TIMEOUT: '5s',
        ADMIN_USER: 'ops',
        ADMIN_PASSWORD: 'metrics-pass',
      }),
    );
    worker = await startWorker({ config, log: silentLog(), prefix: redis.prefix, features: [productionFeature] });

    // The schedulers fire every stream once at start; wait until each account polled and the queue is idle.
    const end = Date.now() + 25_000;
    for (;;) {
      const polled = worker.adapters.every((a) => worker.db.$client.prepare('select last_polled_at from accounts where id = ?').pluck().get(accountId(a.platform, a.accountId)));
      const counts = await worker.queues.poll.getJobCounts('active', 'waiting', 'prioritized', 'completed');
      const { active = 0, waiting = 0, prioritized = 0, completed = 0 } = counts;
      if (polled && active + waiting + prioritized === 0 && completed > 0) break;
      if (Date.now() > end) throw new Error(`the first sync did not finish: ${JSON.stringify(counts)}`);
      await sleep(200);
    }
  }, 40_000);

  afterAll(async () => {
    await worker?.stop();
    await sandbox?.close();
    await redis.cleanup();
    dir.remove();
  });

  it('is guarded like the rest of the ops server', async () => {
    expect((await fetch(`${worker.httpUrl}/metrics`)).status).toBe(401);
  });

  it('counts orders, polls, calls and token refreshes, and reads account gauges from SQLite', async () => {
    const samples = await scrape();
    expect(worker.adapters.map((a) => a.platform).sort()).toEqual([...PLATFORMS]);

    for (const platform of PLATFORMS) {
      const stored = worker.db.$client.prepare('select count(*) from orders where platform = ?').pluck().get(platform) as number;
      expect(stored).toBeGreaterThan(0);
      expect(sum(select(samples, 'osw_orders_ingested_total', { platform, change: 'inserted' }))).toBe(stored);

      expect(sum(select(samples, 'osw_polls_total', { platform, stream: 'orders', outcome: 'ok' }))).toBeGreaterThanOrEqual(1);
      expect(sum(select(samples, 'osw_polls_total', { platform, outcome: 'failed' }))).toBe(0);
      expect(sum(select(samples, 'osw_poll_duration_seconds_count', { platform, stream: 'orders' }))).toBeGreaterThanOrEqual(1);
      expect(sum(select(samples, 'osw_marketplace_requests_total', { platform, status: '2xx' }))).toBeGreaterThan(0);
      expect(sum(select(samples, 'osw_rate_limiter_wait_seconds_count', { platform }))).toBeGreaterThan(0);
      for (const queued of select(samples, 'osw_rate_limiter_queue_length', { platform })) expect(queued.value).toBe(0);

      const [healthy] = select(samples, 'osw_account_healthy', { platform });
      expect(healthy).toMatchObject({ value: 1, labels: { account: expect.stringMatching(new RegExp(`^${platform}:`)) } });
      const [age] = select(samples, 'osw_account_last_successful_poll_age_seconds', { platform });
      expect(Number.isFinite(age!.value) && age!.value >= 0).toBe(true);
    }
    expect(sum(select(samples, 'osw_token_refreshes_total', { platform: 'amazon', outcome: 'ok' }))).toBeGreaterThanOrEqual(1);
    expect(select(samples, 'osw_production_jobs').map((s) => s.labels.state)).toEqual(expect.arrayContaining(['waiting', 'active', 'completed', 'failed']));
    expect(select(samples, 'osw_production_jobs_at_risk')).toHaveLength(1);
    expect(select(samples, 'process_cpu_user_seconds_total')).toHaveLength(1);
  });

  it('shows an account whose credentials were refused as 0', async () => {
    const etsy = worker.adapters.find((a) => a.platform === 'etsy')!;
    markAccountHealth(worker.db, accountId('etsy', etsy.accountId), false, 'refused in a test');
    const samples = await scrape();
    expect(select(samples, 'osw_account_healthy', { platform: 'etsy' }).map((s) => s.value)).toEqual([0]);
    expect(select(samples, 'osw_account_healthy', { platform: 'ebay' }).map((s) => s.value)).toEqual([1]);
  });

  it('describes the hand-worked production queue in Bull Board', async () => {
    const res = await fetch(`${worker.httpUrl}/admin/queues/api/queues?page=1&jobsPerPage=1`, { headers: AUTH });
    expect(res.status).toBe(200);
    const { queues } = (await res.json()) as { queues: { name: string; description?: string; hasWorkers?: boolean }[] };
    expect(queues.find((q) => q.name === 'production')?.description).toMatch(/taken by hand.*production take/);
    // The print desk counts as its worker: no orange "No workers" while the worker process runs.
    expect(queues.find((q) => q.name === 'production')?.hasWorkers).toBe(true);
    expect(queues.find((q) => q.name === 'poll')?.description).toBeUndefined();
  });
});

describe('the metrics registry', () => {
  it('is one per worker: a second one in the same process has series of its own', async () => {
    const [a, b] = [createMetrics(), createMetrics()];
    a.shipmentPush('ebay', 'pushed');
    expect(await a.registry.getSingleMetricAsString('osw_shipment_pushes_total')).toContain('osw_shipment_pushes_total{platform="ebay",outcome="pushed"} 1');
    expect(await b.registry.getSingleMetricAsString('osw_shipment_pushes_total')).not.toContain('platform="ebay"');
  });

  it('labels a limited call by its outcome: 2xx, 429 (also counted apart) or the error class, and empties the queue', async () => {
    const m = createMetrics();
    const call = () => m.limitedCall('amazon', 'getOrder');
    const waiting = call();
    expect(await m.registry.getSingleMetricAsString('osw_rate_limiter_queue_length')).toContain('osw_rate_limiter_queue_length{platform="amazon",operation="getOrder"} 1');
    await waiting.send(async () => 'ok');
    waiting.leave();
    await call().send(() => Promise.reject(new RateLimitedError('slow down', 1_000))).catch(() => undefined);
    await call().send(() => Promise.reject(Object.assign(new Error('refused'), { name: 'PermanentRemoteError', cause: { response: { status: 404 } } }))).catch(() => undefined);
    await call().send(() => Promise.reject(Object.assign(new Error('reset'), { name: 'TransientError' }))).catch(() => undefined);
    const dropped = call();
    dropped.leave(); // dropped at shutdown: never sent, never counted as a request

    const text = await m.registry.metrics();
    for (const status of ['2xx', '429', '404', 'TransientError']) {
      expect(text).toContain(`osw_marketplace_requests_total{platform="amazon",operation="getOrder",status="${status}"} 1`);
    }
    expect(text).toContain('osw_marketplace_rate_limited_total{platform="amazon",operation="getOrder"} 1');
    expect(text).toContain('osw_rate_limiter_queue_length{platform="amazon",operation="getOrder"} 0');
    expect(text).toContain('osw_rate_limiter_wait_seconds_count{platform="amazon",operation="getOrder"} 4');
  });
});
