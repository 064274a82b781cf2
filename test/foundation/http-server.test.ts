import { afterAll, describe, expect, it } from 'vitest';
import { FakeAdapter } from '../support/fake-adapter.ts';
import { redisPrefix } from '../support/env.ts';
import { startTestWorker } from './support-worker.ts';
import { createHttpServer } from '../../src/http-server.ts';

const redis = redisPrefix();
afterAll(() => redis.cleanup());

describe('ops HTTP server', () => {
  it('serves health, readiness and Bull Board with every queue', async () => {
    const t = await startTestWorker({ prefix: redis.prefix, adapters: [new FakeAdapter()] });
    try {
      const health = await fetch(`${t.worker.httpUrl}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${t.worker.httpUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', sqlite: 'ok' } });
      const board = await fetch(`${t.worker.httpUrl}/admin/queues`);
      expect(board.status).toBe(200);
      expect(await board.text()).toContain('<html');
      const queues = await fetch(`${t.worker.httpUrl}/admin/queues/api/queues?activeQueue=poll&page=1&jobsPerPage=10`);
      const body = (await queues.json()) as { queues: { name: string }[] };
      expect(body.queues.map((q) => q.name).sort()).toEqual(['alerts', 'fulfillment', 'maintenance', 'poll', 'production', 'reread']);
    } finally {
      await t.dispose();
    }
  });

  it('reports not ready when SQLite is gone', async () => {
    const t = await startTestWorker({ prefix: `${redis.prefix}-ready`, adapters: [] });
    try {
      t.worker.db.$client.close();
      const ready = await fetch(`${t.worker.httpUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: { sqlite: string } }).checks.sqlite).not.toBe('ok');
    } finally {
      await t.dispose();
    }
  });

  it('puts basic auth on /admin when ADMIN_USER/ADMIN_PASSWORD are set', async () => {
    const t = await startTestWorker({
      prefix: `${redis.prefix}-auth`,
      adapters: [],
      env: { ADMIN_USER: 'ops', ADMIN_PASSWORD: 's3cret-pass' },
    });
    try {
      expect((await fetch(`${t.worker.httpUrl}/admin/queues`)).status).toBe(401);
      const wrong = await fetch(`${t.worker.httpUrl}/admin/queues`, { headers: { authorization: `Basic ${btoa('ops:nope')}` } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${t.worker.httpUrl}/admin/queues`, { headers: { authorization: `Basic ${btoa('ops:s3cret-pass')}` } });
      expect(right.status).toBe(200);
      expect((await fetch(`${t.worker.httpUrl}/healthz`)).status).toBe(200);
    } finally {
      await t.dispose();
    }
  });

  it('refuses to bind a non-loopback host without admin credentials', async () => {
    await expect(
      createHttpServer({ host: '0.0.0.0', port: 0, queues: {} as never, redis: {} as never, db: {} as never, log: {} as never }),
    ).rejects.toThrow(/ADMIN_USER and ADMIN_PASSWORD/);
  });
});
