import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

export interface EmbeddedRedis {
  socketPath: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

async function answers(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return false;
  const probe = new Redis({ path: socketPath, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * The default when REDIS_URL is unset: a private redis-server child on a unix socket in the data
 * directory, with the append-only file on so queued jobs survive a restart. A server left behind by
 * a killed worker (SIGKILL gives no chance to stop it) is reused rather than duplicated.
 */
export async function startEmbeddedRedis(dataDir: string, log: Logger, binary = 'redis-server'): Promise<EmbeddedRedis> {
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const socketPath = join(dir, 'redis.sock');
  const pidFile = join(dir, 'redis.pid');

  if (await answers(socketPath)) {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
    log.warn({ socketPath, pid }, 'embedded redis from an earlier run is still up; reusing it');
    return { socketPath, pid, stop: () => shutdown(socketPath, undefined, pidFile) };
  }
  rmSync(socketPath, { force: true });

  const args = [
    '--port', '0',
    '--unixsocket', socketPath,
    '--unixsocketperm', '700',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--pidfile', pidFile,
    '--daemonize', 'no',
    '--loglevel', 'warning',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // Never orphaned: however this process ends (a forced exit after a stuck shutdown included), the
  // server gets SIGTERM, on which Redis flushes its append-only file and exits.
  const orphanGuard = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', orphanGuard);
  child.once('exit', () => process.removeListener('exit', orphanGuard));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const spawnError = new Promise<Error>((res) => child.once('error', res));
  const exited = new Promise<number | null>((res) => child.once('exit', res));

  for (let i = 0; i < 100; i++) {
    const outcome = await Promise.race([
      spawnError.then((e) => ({ error: e })),
      exited.then((code) => ({ exit: code })),
      sleep(50).then(() => null),
    ]);
    if (outcome && 'error' in outcome) {
      const err = outcome.error as NodeJS.ErrnoException;
      throw new RedisUnavailableError(
        err.code === 'ENOENT'
          ? `REDIS_URL is not set and '${binary}' is not installed. Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:6379.`
          : `could not start the embedded redis-server: ${err.message}. Set REDIS_URL to use an existing Redis.`,
      );
    }
    if (outcome && 'exit' in outcome) {
      throw new RedisUnavailableError(
        `the embedded redis-server exited with code ${outcome.exit}: ${stderr.trim() || 'no output'}. Set REDIS_URL to use an existing Redis.`,
      );
    }
    if (await answers(socketPath)) {
      log.info({ socketPath, pid: child.pid }, 'embedded redis started');
      return { socketPath, pid: child.pid, stop: () => shutdown(socketPath, child, pidFile) };
    }
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError('the embedded redis-server did not answer within 5 s. Set REDIS_URL to use an existing Redis.');
}

async function shutdown(socketPath: string, child: ChildProcess | undefined, pidFile: string): Promise<void> {
  const exited = child && child.exitCode === null ? new Promise((res) => child.once('exit', res)) : Promise.resolve();
  const client = new Redis({ path: socketPath, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // SHUTDOWN rewrites nothing extra: the AOF already has every write (appendfsync everysec + flush on shutdown).
    await client.call('SHUTDOWN').catch(() => undefined);
  } catch {
    child?.kill('SIGTERM');
  } finally {
    client.disconnect();
  }
  await Promise.race([exited, sleep(5_000)]);
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(pidFile, { force: true });
}
