import { describe, expect, it } from 'vitest';
import { UnrecoverableError } from 'bullmq';
import { OperationLimiters } from '../../adapters/limiter.ts';
import { classifyHttpFailure, retryAfterMs } from '../../adapters/http-errors.ts';
import { withRetry } from '../../adapters/retry.ts';
import { AuthError, BadPayloadError, PermanentRemoteError, RateLimitedError, toJobError, TransientError } from '../../src/errors.ts';

describe('error classification', () => {
  it.each([
    [429, 'RateLimitedError', RateLimitedError],
    [401, 'AuthError', AuthError],
    [403, 'AuthError', AuthError],
    [500, 'TransientError', TransientError],
    [503, 'TransientError', TransientError],
    [408, 'TransientError', TransientError],
    [400, 'PermanentRemoteError', PermanentRemoteError],
    [404, 'PermanentRemoteError', PermanentRemoteError],
  ] as const)('HTTP %i is a %s', (status, _name, cls) => {
    expect(classifyHttpFailure('etsy', 'getShopReceipts', { status })).toBeInstanceOf(cls);
  });

  it('treats connection failures as transient and keeps the API detail in the message', () => {
    expect(classifyHttpFailure('ebay', 'getOrders', { code: 'ECONNRESET' })).toBeInstanceOf(TransientError);
    expect(classifyHttpFailure('ebay', 'getOrders', { status: 400, detail: 'Invalid filter' }).message).toBe(
      'ebay getOrders was refused (400): Invalid filter',
    );
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('3', 1000)).toBe(3000);
    expect(retryAfterMs(undefined, 1000)).toBe(1000);
    expect(retryAfterMs(new Date(10_000 + 5000).toUTCString(), 1000, 10_000)).toBe(5000);
    const err = classifyHttpFailure('amazon', 'searchOrders', { status: 429, headers: { 'retry-after': '2' } }) as RateLimitedError;
    expect(err.retryAfterMs).toBe(2000);
  });

  it('maps only the retryable classes to BullMQ retries', () => {
    expect(toJobError(new TransientError('x'))).toBeInstanceOf(TransientError);
    expect(toJobError(new RateLimitedError('x', 10))).toBeInstanceOf(RateLimitedError);
    for (const e of [new AuthError('etsy', 'x'), new BadPayloadError('f', 'x'), new PermanentRemoteError('x')]) {
      expect(toJobError(e)).toBeInstanceOf(UnrecoverableError);
    }
  });
});

describe('withRetry', () => {
  it('retries transient failures and then succeeds', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new TransientError('reset');
        return 'ok';
      },
      { minTimeoutMs: 1, maxTimeoutMs: 5 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('waits as long as a 429 says, without spending transient retries', async () => {
    let calls = 0;
    const waits: number[] = [];
    const t0 = Date.now();
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls <= 3) throw new RateLimitedError('slow down', 40);
        return calls;
      },
      { retries: 0, onRateLimited: (e) => void waits.push(e.retryAfterMs) },
    );
    expect(result).toBe(4);
    expect(waits).toEqual([40, 40, 40]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(115);
  });

  it('gives up at once on errors that retrying cannot fix', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls += 1;
        throw new AuthError('amazon', 'refresh token revoked');
      }),
    ).rejects.toBeInstanceOf(AuthError);
    expect(calls).toBe(1);
  });

  it('stops after the bounded number of transient retries', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new TransientError('503');
        },
        { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 2 },
      ),
    ).rejects.toBeInstanceOf(TransientError);
    expect(calls).toBe(3);
  });
});

describe('OperationLimiters', () => {
  it('lets a burst through at once, then holds to the sustained rate', async () => {
    const limiters = new OperationLimiters({ list: { ratePerSecond: 20, burst: 3 } });
    const times: number[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 5 }, () => limiters.schedule('list', async () => void times.push(performance.now() - t0))));
    times.sort((a, b) => a - b);
    expect(times[2]!).toBeLessThan(75); // the burst (without it, the third call would come at 100 ms)
    // Two more tokens at 20/s: the fifth call not before 100 ms after the bucket started. Measured from the
    // start, not from the burst's third call, which a loaded machine runs late while the refills keep their time.
    expect(times[4]!).toBeGreaterThanOrEqual(90);
    await limiters.stop();
  });

  it('the MARKETPLACE_API_RATE_LIMIT ceiling caps API calls, not file downloads', async () => {
    const limits = { api: { ratePerSecond: 50, burst: 5 }, download: { ratePerSecond: 50, burst: 5, notApiCall: true } };
    const limiters = new OperationLimiters(limits, 60); // 1 API call per second at most
    const done = { api: 0, download: 0 };
    const run = (op: 'api' | 'download') => Array.from({ length: 20 }, () => limiters.schedule(op, async () => void (done[op] += 1)));
    const all = [...run('api'), ...run('download')];
    await new Promise((r) => setTimeout(r, 2_000));
    // Downloads at their own 50/s are all done in well under a second; API calls at the 1/s ceiling are not.
    expect(done.download).toBe(20);
    expect(done.api).toBeLessThanOrEqual(9); // 5 at once, then 1/s
    await limiters.stop();
    await Promise.allSettled(all);
  });

  it('caps concurrency where the platform sets a limit', async () => {
    const limiters = new OperationLimiters({ op: { ratePerSecond: 1000, burst: 1000, maxConcurrent: 2 } });
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        limiters.schedule('op', async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 10));
          running -= 1;
        }),
      ),
    );
    expect(peak).toBe(2);
    await limiters.stop();
  });

  it('keeps refilling after a drain (429) and after a rate change', async () => {
    const limiters = new OperationLimiters({ op: { ratePerSecond: 20, burst: 2 } });
    await limiters.drain('op');
    limiters.adjustRate('op', 40);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 3 }, () => limiters.schedule('op', async () => 1)));
    expect(performance.now() - t0).toBeLessThan(2_000); // a dead heartbeat would never refill
    await limiters.stop();
  });

  it('refuses an operation without a published limit', () => {
    const limiters = new OperationLimiters({ op: { ratePerSecond: 1, burst: 1 } });
    expect(() => limiters.schedule('other', async () => 1)).toThrow(/no rate limit is defined for operation "other"/);
  });
});
