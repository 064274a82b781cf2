import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** The lease one account's stream is polled under: the worker's poll jobs, `ordersync sync` and `backfill` share it. */
export const pollLeaseKey = (prefix: string, accountId: string, stream: string) => `${prefix}:lease:poll:${accountId}/${stream}`;

/**
 * Runs `fn` while holding a Redis lease on `key`, shared by every worker process on this Redis; returns
 * `{ held: false }` at once when another holder has it. The lease is renewed while `fn` runs and
 * runs out `ttlMs` after a holder dies (kill -9), so a crash never blocks the key for long.
 */
export async function withLease<T>(redis: Redis, key: string, ttlMs: number, fn: () => Promise<T>): Promise<{ held: true; value: T } | { held: false }> {
  const token = randomUUID();
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return { held: false };
  const renew = setInterval(() => void redis.eval(RENEW, 1, key, token, ttlMs).catch(() => undefined), Math.max(100, ttlMs / 3));
  try {
    return { held: true, value: await fn() };
  } finally {
    clearInterval(renew);
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
