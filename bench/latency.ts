import { setTimeout as sleep } from 'node:timers/promises';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { setRateScale } from '../adapters/limiter.ts';
import { loadConfig, PLATFORMS } from '../config/env.ts';
import { startSandbox } from '../sandbox/server.ts';
import { features } from '../src/features.ts';
import { startWorker } from '../src/worker.ts';
import { REDIS_URL, log, percentile, round } from './support.ts';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * Order placed in the sandbox -> its first production job waiting in Redis, through the real worker
 * (schedulers, poll, intake), at a scaled-down poll interval with limits scaled up to match.
 */
export async function benchLatency(dir: string, intervalMs = 3_000, scale = 100, ordersPerPlatform = 20) {
  setRateScale(scale);
  const sandbox = await startSandbox({ rateScale: scale, seed: 9 });
  const prefix = `osw-bench-latency-${randomUUID().slice(0, 6)}`;
  const config = loadConfig({
    SANDBOX_URL: sandbox.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    DATA_DIR: dir,
    DATABASE_PATH: join(dir, 'latency.sqlite'),
    POLL_INTERVAL: String(intervalMs),
    MARKETPLACE_API_RATE_LIMIT: '100000',
  });
  const worker = await startWorker({ config: { ...config, http: { ...config.http, port: 0 } }, log, features });
  const events = new QueueEvents('production', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  await events.waitUntilReady();

  const createdAt = new Map<string, number>();
  const latencies: Record<string, number[]> = Object.fromEntries(PLATFORMS.map((p) => [p, []]));
  const seen = new Set<string>();
  events.on('waiting', ({ jobId }) => {
    // Production job ids are print__<account>__<order>__<line>.
    const [, account, order] = jobId.split('__');
    const key = `${account}|${order}`;
    const t = createdAt.get(order ?? '');
    if (t === undefined || seen.has(key)) return;
    seen.add(key);
    const platform = (account ?? '').split('_')[0]!;
    latencies[platform]?.push(Date.now() - t);
  });

  await sleep(intervalMs * 2); // let the first polls settle
  const deadline = Date.now() + intervalMs * 20;
  let made = 0;
  while (made < ordersPerPlatform) {
    for (const p of PLATFORMS) {
      for (const o of sandbox.context.store.add(p, 1, 'unshipped')) {
        o.lines[0]!.sku = '3DP-KEYCHAIN'; // make sure the order has print work
        createdAt.set(o.id, Date.now());
      }
    }
    made += 1;
    await sleep(Math.round(Math.random() * intervalMs));
  }
  while (seen.size < made * PLATFORMS.length && Date.now() < deadline + intervalMs * 5) await sleep(100);

  await events.close();
  await worker.stop();
  await sandbox.close();
  const out: Record<string, unknown> = { intervalMs, scale };
  for (const p of PLATFORMS) {
    const sorted = latencies[p]!.sort((a, b) => a - b);
    out[p] = {
      measured: sorted.length,
      expected: made,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      p50OfInterval: round(percentile(sorted, 50) / intervalMs),
      p95OfInterval: round(percentile(sorted, 95) / intervalMs),
    };
  }
  return out;
}
