import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import type { LimiterScope } from '../adapters/limiter.ts';
import { createRedis, logConnectionState, type RedisTarget } from './connection.ts';

interface WarnLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * The limiter scope of a process that talks to the marketplaces (the worker, `ordersync sync` and
 * `backfill`): buckets in Redis under `<prefix>:limits`, shared with every other such process, and
 * the signal that ends their waits. `close` after the adapters are closed.
 */
export function openSharedLimits(target: RedisTarget, prefix: string, signal: AbortSignal, log: WarnLog): { scope: LimiterScope; close(): Promise<void> } {
  const client = createRedis(target, { connectionName: 'osw-limits' });
  logConnectionState(client, 'limits', log);
  const connection = new Bottleneck.IORedisConnection({ client, Redis });
  return { scope: { signal, shared: { connection, prefix: `${prefix}:limits` } }, close: () => connection.disconnect(false) };
}
