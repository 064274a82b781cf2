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

interface Emitter {
  on(event: 'error', fn: (err: Error) => void): unknown;
  on(event: 'ready', fn: () => void): unknown;
}
interface WarnLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * One JSON log line per change of a Redis connection's state, not one per reconnect attempt: the first
 * error (and a different one later), then "reachable again" when it recovers; message and code named.
 * Every connection, queue and worker gets it, so none prints raw errors of its own.
 */
export function logConnectionState(emitter: Emitter, name: string, log: WarnLog): void {
  let down: string | undefined;
  emitter.on('error', (err: Error & { code?: string }) => {
    const key = `${err.code ?? ''} ${err.message}`;
    if (down === key) return;
    down = key;
    log.warn({ connection: name, error: err.message, code: err.code }, 'redis unreachable; retrying');
  });
  emitter.on('ready', () => {
    if (down === undefined) return;
    down = undefined;
    log.info({ connection: name }, 'redis reachable again');
  });
}

/**
 * Deletes every key starting with `prefix` (a test's own prefix and the ones it derives, such as
 * `<prefix>-ship`), and the rate limiters' (Bottleneck names its keys `b_<id>_…`): tests and
 * benchmarks clean up their own queues and buckets this way. The prefix must be unique to them.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  if (prefix.length < 8) throw new Error(`refusing to delete every key starting with "${prefix}": too short to be a test's own prefix`);
  for (const pattern of [`${prefix}*`, `b_${prefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  }
}
