import { describe, expect, it } from 'vitest';
import { RedisUnavailableError, startEmbeddedRedis } from '../../src/embedded-redis.ts';
import { silentLog, tempDir } from '../support/env.ts';

describe('embedded redis', () => {
  it('says how to install Redis or set REDIS_URL when redis-server is missing', async () => {
    const dir = tempDir();
    try {
      const attempt = startEmbeddedRedis(dir.path, silentLog(), 'redis-server-not-installed');
      await expect(attempt).rejects.toBeInstanceOf(RedisUnavailableError);
      await expect(attempt).rejects.toThrow(/apt-get install redis-server.*REDIS_URL/s);
    } finally {
      dir.remove();
    }
  });

  it('reuses a server a killed worker left behind instead of starting a second one', async () => {
    const dir = tempDir();
    const first = await startEmbeddedRedis(dir.path, silentLog());
    try {
      const second = await startEmbeddedRedis(dir.path, silentLog());
      expect(second.socketPath).toBe(first.socketPath);
      expect(second.pid).toBe(first.pid);
    } finally {
      await first.stop();
      expect(() => process.kill(first.pid!, 0)).toThrow();
      dir.remove();
    }
  });
});
