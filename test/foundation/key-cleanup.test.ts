import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix } from '../../jobs/connection.ts';
import { REDIS_URL } from '../support/env.ts';

const redis = new Redis(REDIS_URL);
afterAll(() => redis.quit());

describe('test key cleanup', () => {
  it("deletes a test's keys, the prefixes it derives (…-ship) and its rate limiters', and nothing else", async () => {
    const prefix = `osw-test-${randomUUID().slice(0, 8)}`;
    const other = `osw-test-${randomUUID().slice(0, 8)}`;
    await redis.mset(`${prefix}:poll:1`, 'x', `${prefix}-ship:fulfillment:1`, 'x', `b_${prefix}:limits:etsy:api_settings`, 'x', `${other}:poll:1`, 'x');
    await deleteKeysWithPrefix(redis, prefix);
    expect(await redis.exists(`${prefix}:poll:1`, `${prefix}-ship:fulfillment:1`, `b_${prefix}:limits:etsy:api_settings`)).toBe(0);
    expect(await redis.exists(`${other}:poll:1`)).toBe(1);
    await deleteKeysWithPrefix(redis, other);
    await expect(deleteKeysWithPrefix(redis, 'osw')).rejects.toThrow(/too short/);
  });
});
