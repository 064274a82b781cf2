import { Redis, type RedisOptions } from 'ioredis';

/** Where Redis is: a URL (REDIS_URL) or the embedded server's unix socket. */
export type RedisTarget = { url: string } | { path: string };

/**
 * One factory for every ioredis connection. BullMQ workers block on Redis, so they need
 * `maxRetriesPerRequest: null`; producers share the same settings to keep behaviour uniform.
 */
export function createRedis(target: RedisTarget, extra: RedisOptions = {}, onError?: (err: Error) => void): Redis {
  const options: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...extra };
  const redis = 'url' in target ? new Redis(target.url, options) : new Redis({ ...options, path: target.path });
  // ioredis reconnects by itself; without a listener every failed attempt is an "unhandled error event".
  redis.on('error', onError ?? (() => undefined));
  return redis;
}

/** Deletes every key under `prefix:` (tests and benchmarks clean up their own queues this way). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
