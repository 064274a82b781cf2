import { createServer, type AddressInfo } from 'node:net';
import type { Config } from '../../config/env.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import { openDatabase, closeDatabase, type Db } from '../../db/connection.ts';
import { dataKey, type DataKeys } from '../../db/crypto.ts';
import { createLogger } from '../../src/logger.ts';
import { deleteKeysWithPrefix } from '../../jobs/connection.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function tempDir(prefix = 'osw-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The data key of test databases (a fixed one, so a test can reopen what it wrote). */
export const TEST_KEYS: DataKeys = { current: dataKey(Buffer.alloc(32, 7)), previous: [] };

export function tempDatabase(): { db: Db; path: string; dispose(): void } {
  const dir = tempDir();
  const path = join(dir.path, 'test.sqlite');
  const db = openDatabase(path, TEST_KEYS);
  return {
    db,
    path,
    dispose: () => {
      closeDatabase(db);
      dir.remove();
    },
  };
}

/** A unique key prefix per test file, and a cleanup that deletes every key under it. */
export function redisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `osw-test-${randomUUID().slice(0, 8)}`;
  return {
    prefix,
    cleanup: async () => {
      const redis = new Redis(REDIS_URL);
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
    },
  };
}

/** A logger whose lines the test can read back. */
export function captureLogger(level = 'debug'): { log: Logger; lines: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ level, pretty: false, destination });
  return { log, lines: () => chunks.join('') };
}

export const silentLog = (): Logger => pino({ level: 'silent' });

/** The ops server on an ephemeral port (HTTP_PORT itself takes 1..65535 only). */
export const withEphemeralPort = (config: Config): Config => ({ ...config, http: { ...config.http, port: 0 } });

/** A TCP port free right now on loopback, for a worker started as a separate process. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
