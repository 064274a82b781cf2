import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, REDIS_URL, redisPrefix, tempDir } from '../support/env.ts';
import { spawnWorker } from '../support/processes.ts';

const redis = redisPrefix();
const dir = tempDir('osw-lazy-board-');
afterAll(async () => {
  await redis.cleanup();
  dir.remove();
});

const hook = fileURLToPath(new URL('../support/log-loaded-modules.mjs', import.meta.url));

describe('Bull Board is loaded with its first request', () => {
  it('a running worker has not loaded @bull-board until someone opens the board, which then works', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const worker = spawnWorker({
      SANDBOX_URL: 'http://127.0.0.1:9',
      REDIS_URL,
      REDIS_PREFIX: redis.prefix,
      DATA_DIR: dir.path,
      HTTP_PORT: String(port),
      NODE_OPTIONS: `--import ${hook}`,
      LOG_MODULES_MATCHING: '@bull-board',
    });
    try {
      for (let i = 0; i < 200 && !(await fetch(`${url}/healthz`).catch(() => undefined))?.ok; i++) await sleep(50);
      expect((await fetch(`${url}/healthz`)).ok).toBe(true);
      await sleep(500); // the worker has started its jobs and schedulers meanwhile
      expect(worker.output()).not.toContain('module loaded');

      const page = await fetch(`${url}/admin/queues`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(worker.output()).toMatch(/module loaded: .*@bull-board\/api/);
      // What the page loads comes through as well: its stylesheet and the queues' API.
      const css = html.match(/href="(static\/css\/[^"]+\.css)"/)?.[1];
      expect(css).toBeDefined();
      const style = await fetch(`${url}/admin/queues/${css}`);
      expect(style.status).toBe(200);
      expect(style.headers.get('content-type')).toMatch(/text\/css/);
      const queues = (await (await fetch(`${url}/admin/queues/api/queues?page=1&jobsPerPage=1`)).json()) as { queues: { name: string }[] };
      expect(queues.queues.map((q) => q.name)).toContain('production');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }, 30_000);
});
