import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { OperationLimiters, type LimiterScope } from '../../adapters/limiter.ts';
import { withRetry } from '../../adapters/retry.ts';
import { ShutdownError, TransientError } from '../../src/errors.ts';
import { REDIS_URL, redisPrefix } from '../support/env.ts';
import { busiestWindow } from '../support/processes.ts';

const keys = redisPrefix();
const connections: Bottleneck.IORedisConnection[] = [];
afterAll(async () => {
  for (const c of connections) await c.disconnect(false);
  await keys.cleanup();
});

/** What one worker process has: its own Redis connection for the limiters. */
function processScope(signal?: AbortSignal): LimiterScope {
  const connection = new Bottleneck.IORedisConnection({ client: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), Redis });
  connections.push(connection);
  return { signal, shared: { connection, prefix: `${keys.prefix}:limits` } };
}

const LIMIT = { api: { ratePerSecond: 20, burst: 5 } };

describe('rate limits shared through Redis', () => {
  it('two processes draw from one bucket: together they never exceed the published rate', async () => {
    const a = new OperationLimiters({ ...LIMIT }, undefined, processScope(), 'etsy:shop-1');
    const b = new OperationLimiters({ ...LIMIT }, undefined, processScope(), 'etsy:shop-1');
    const times: number[] = [];
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).schedule('api', async () => void times.push(Date.now()))));
    // 5 at once, then 20/s: the 40th call cannot go before (40 - 5) / 20 = 1.75 s.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_700);
    // A token bucket's bound: in any window of W seconds, at most burst + rate * W calls.
    for (const windowMs of [250, 500, 1_000]) expect(busiestWindow(times, windowMs)).toBeLessThanOrEqual(5 + Math.ceil((20 * windowMs) / 1000) + 1);
    await Promise.all([a.stop(), b.stop()]);
  }, 20_000);

  it('a process started again finds the bucket as the last one left it (no fresh burst after a restart)', async () => {
    const slow = { search: { ratePerSecond: 0.0056, burst: 3 } };
    const first = new OperationLimiters({ ...slow }, undefined, processScope(), 'amazon:SELLER');
    for (let i = 0; i < 3; i++) await first.schedule('search', async () => undefined);
    await first.stop();

    const restarted = new OperationLimiters({ ...slow }, undefined, processScope(), 'amazon:SELLER');
    let sent = false;
    const waiting = restarted.schedule('search', async () => void (sent = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(sent).toBe(false); // the burst was spent before the restart; the next token is ~178 s away
    await restarted.stop();
    await expect(waiting).rejects.toBeInstanceOf(Error);

    // Without Redis the same restart would have sent it at once: the case this fixes.
    const inMemory = new OperationLimiters({ ...slow });
    await inMemory.schedule('search', async () => void (sent = true));
    expect(sent).toBe(true);
    await inMemory.stop();
  }, 20_000);
});

describe('in-flight limits (maxConcurrent) with shared buckets', () => {
  it('are kept per process: a process killed mid-call holds no slot another process needs', async () => {
    const limit = { api: { ratePerSecond: 100, burst: 10, maxConcurrent: 1 } };
    const killed = processScope();
    const a = new OperationLimiters({ ...limit }, undefined, killed, 'ebay:seller-slots');
    void a.schedule('api', () => new Promise(() => undefined)); // in flight when the process dies
    await new Promise((r) => setTimeout(r, 200));
    await killed.shared!.connection.disconnect(false); // kill -9: nothing is released
    const b = new OperationLimiters({ ...limit }, undefined, processScope(), 'ebay:seller-slots');
    let sent = false;
    const call = b.schedule('api', async () => void (sent = true));
    await Promise.race([call, new Promise((r) => setTimeout(r, 3_000))]);
    expect(sent).toBe(true);
    await b.stop();
  }, 20_000);
});

describe('shutdown cancels waits', () => {
  it('a call waiting for a token ends with a ShutdownError as soon as the signal aborts, and is never sent', async () => {
    for (const shared of [false, true]) {
      const controller = new AbortController();
      const scope = shared ? processScope(controller.signal) : { signal: controller.signal };
      const limiters = new OperationLimiters({ search: { ratePerSecond: 0.0056, burst: 1 } }, undefined, scope, `amazon:abort-${shared}`);
      await limiters.schedule('search', async () => undefined); // the only token
      let sent = false;
      const waiting = limiters.schedule('search', async () => void (sent = true));
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      controller.abort();
      await expect(waiting).rejects.toBeInstanceOf(ShutdownError);
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect(sent).toBe(false);
      await expect(limiters.schedule('search', async () => 'late')).rejects.toBeInstanceOf(ShutdownError);
    }
  }, 20_000);

  it('a retry delay ends at once with a ShutdownError; an error of the request itself is kept as it was', async () => {
    const controller = new AbortController();
    let calls = 0;
    const retrying = withRetry(
      async () => {
        calls += 1;
        throw new TransientError('503 from the marketplace');
      },
      { retries: 5, minTimeoutMs: 60_000, maxTimeoutMs: 60_000, signal: controller.signal },
    );
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(retrying).rejects.toBeInstanceOf(ShutdownError);
    expect(calls).toBe(1);

    await expect(withRetry(async () => Promise.reject(new TransientError('timeout')), { retries: 0, signal: new AbortController().signal })).rejects.toBeInstanceOf(TransientError);
  });
});
