import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../../../config/env.ts';
import { runningWorkerPid } from '../../data-keys.ts';
import type { DoctorCheck } from './check.ts';

const CONNECT_TIMEOUT_MS = 3_000;

/** PING, then the server's version and eviction policy (BullMQ loses jobs when Redis evicts keys). */
async function probe(target: { url: string } | { path: string }): Promise<{ version: string; policy: string }> {
  const options = { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, connectionName: 'osw-doctor' };
  const redis = 'url' in target ? new Redis(target.url, options) : new Redis({ ...options, path: target.path });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    const info = (await redis.info('server')) + (await redis.info('memory'));
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
    return { version: field('redis_version'), policy: field('maxmemory_policy') };
  } finally {
    redis.disconnect();
  }
}

const evictionFinding = (where: string, policy: string): DoctorCheck | undefined =>
  policy === 'noeviction' || policy === '?'
    ? undefined
    : {
        area: 'redis',
        name: 'eviction policy',
        status: 'warn',
        detail: `${where} has maxmemory-policy ${policy}: under memory pressure it drops queued jobs`,
        fix: 'set maxmemory-policy noeviction in the Redis configuration (BullMQ needs it)',
      };

/**
 * REDIS_URL when set. Otherwise the embedded server, which only runs with the worker: its socket
 * when a worker runs, else whether redis-server is installed for the worker to start.
 */
export async function checkRedis(config: Config): Promise<DoctorCheck[]> {
  const url = config.redisUrl;
  if (url) {
    const shown = url.replace(/\/\/[^@/]*@/, '//***@');
    try {
      const { version, policy } = await probe({ url });
      return [{ area: 'redis', name: 'REDIS_URL', status: 'pass', detail: `Redis ${version} answers at ${shown}` }, ...[evictionFinding(shown, policy)].filter((c) => c !== undefined)];
    } catch (err) {
      return [{ area: 'redis', name: 'REDIS_URL', status: 'fail', detail: `cannot reach Redis at ${shown}: ${(err as Error).message}`, fix: 'start Redis or correct REDIS_URL (redis://host:port/db; rediss:// for TLS)' }];
    }
  }
  const socket = join(resolve(config.dataDir), 'redis', 'redis.sock');
  const worker = runningWorkerPid(config.dataDir);
  if (worker) {
    try {
      const { version } = await probe({ path: socket });
      return [{ area: 'redis', name: 'embedded', status: 'pass', detail: `the worker's (pid ${worker}) Redis ${version} answers at ${socket}` }];
    } catch (err) {
      return [{ area: 'redis', name: 'embedded', status: 'fail', detail: `the worker (pid ${worker}) runs but its Redis does not answer at ${socket}: ${(err as Error).message}`, fix: 'restart the worker; its log says why redis-server stopped' }];
    }
  }
  const installed = spawnSync('redis-server', ['--version'], { encoding: 'utf8', timeout: CONNECT_TIMEOUT_MS });
  if (installed.error || installed.status !== 0) {
    return [{ area: 'redis', name: 'embedded', status: 'fail', detail: 'REDIS_URL is unset and redis-server is not installed: the worker cannot start its embedded Redis', fix: 'install Redis (e.g. apt install redis-server) or set REDIS_URL' }];
  }
  const version = /v=(\S+)/.exec(installed.stdout)?.[1] ?? installed.stdout.trim();
  return [{ area: 'redis', name: 'embedded', status: 'info', detail: `not running: the embedded Redis starts with the worker (redis-server ${version} is installed)` }];
}
