import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shipments } from '../../db/schema.ts';
import { fulfillmentFeature } from '../../jobs/fulfillment/index.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { productionFeature } from '../../jobs/production/index.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { captureLogger, redisPrefix, silentLog } from '../support/env.ts';
import { FakeAdapter } from '../support/fake-adapter.ts';

const redis = redisPrefix();
const USER = 'ops';
const PASSWORD = 'correct horse battery';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

interface Answer {
  status: number;
  body: string;
}

/** One request with exactly the headers given (fetch would add its own Origin/Sec-Fetch rules). */
function send(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A raw HTTP/1.1 request line, for request-target forms a client library would normalize. */
function sendRaw(url: string, lines: string[]): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => socket.end(`${lines.join('\r\n')}\r\n\r\n`));
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('ops server boundary (real worker, real Redis)', () => {
  let t: Awaited<ReturnType<typeof startTestWorker>>;
  let url: string;
  const capture = captureLogger('warn');
  const adapter = new FakeAdapter('shop-sec');

  beforeAll(async () => {
    adapter.orders = [
      {
        id: 'S1',
        modified: '2026-11-20T10:00:00.000Z',
        shipBy: '2026-11-23T10:00:00.000Z',
        lines: [{ id: 'S1-1', sku: '3DP-MINI-DRAGON', qty: 1 }],
      },
    ];
    t = await startTestWorker({
      prefix: `${redis.prefix}-sec`,
      adapters: [adapter],
      features: [productionFeature, fulfillmentFeature],
      env: { ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD },
      log: capture.log,
    });
    const intake = productionFeature.intake!({ ...t.worker, adapters: [adapter] });
    await pollAccount({ db: t.worker.db, adapter, intake, log: silentLog() });
    url = t.worker.httpUrl;
  });
  afterAll(async () => {
    await t.dispose();
    await redis.cleanup();
  });

  const host = () => ({ host: new URL(url).host });

  it.each([
    ['GET', '/%61pi/orders/1'],
    ['GET', '/api/orders/1'],
    ['GET', '/%61dmin/queues'],
    ['GET', '/api/%2e%2e/api/orders/1'],
    ['GET', '/API/orders/1'],
    ['GET', '/nothing-here'],
  ])('%s %s without credentials is 401, whatever the encoding', async (method, path) => {
    const res = await send(url, method, path, host());
    expect(res.status).toBe(401);
    expect(res.body).not.toContain('S1');
  });

  it('an encoded path cannot record or push a shipment, nor pause polling', async () => {
    const body = JSON.stringify({ carrier: 'USPS', tracking: '9400111899223100012345' });
    const shipped = await send(url, 'POST', '/%61pi/orders/1/shipments', { ...host(), 'content-type': 'application/json' }, body);
    expect(shipped.status).toBe(401);
    expect(t.worker.db.select().from(shipments).all()).toHaveLength(0);
    const paused = await send(url, 'PUT', '/%61dmin/queues/api/queues/poll/pause', host());
    expect(paused.status).toBe(401);
    expect(await t.worker.queues.poll.isPaused()).toBe(false);
  });

  it('refuses an absolute-form request target', async () => {
    const answer = await sendRaw(url, [`GET ${url}/api/orders/1 HTTP/1.1`, `Host: ${new URL(url).host}`, `Authorization: ${AUTH}`, 'Connection: close']);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).not.toContain('S1');
  });

  it('answers only to its own host names (DNS rebinding), even with credentials', async () => {
    const res = await send(url, 'GET', '/api/orders/1', { host: 'attacker.example', authorization: AUTH });
    expect(res.status).toBe(403);
    expect(res.body).toContain('HTTP_ALLOWED_HOSTS');
    expect((await send(url, 'GET', '/api/orders/1', { ...host(), authorization: AUTH })).status).toBe(200);
    expect((await send(url, 'GET', '/healthz', { host: `localhost:${new URL(url).port}` })).status).toBe(200);
  });

  it('refuses state changes from another origin, another site, or with a non-JSON body; Bull Board included', async () => {
    const auth = { ...host(), authorization: AUTH };
    const take = (headers: Record<string, string>, body = '{}') => send(url, 'POST', '/api/production/take', { ...auth, ...headers }, body);
    expect((await take({ 'content-type': 'application/json', origin: 'http://evil.example' })).status).toBe(403);
    // Another local port is another origin (a dev server, another app on this machine).
    expect((await take({ 'content-type': 'application/json', origin: `http://${new URL(url).hostname}:1` })).status).toBe(403);
    expect((await take({ 'content-type': 'application/json', origin: 'null' })).status).toBe(403);
    expect((await take({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await take({ 'content-type': 'text/plain' })).status).toBe(415);
    expect((await take({ 'content-type': 'application/x-www-form-urlencoded' }, 'by=x')).status).toBe(415);
    const pause = await send(url, 'PUT', '/admin/queues/api/queues/poll/pause', { ...auth, origin: 'http://evil.example' });
    expect(pause.status).toBe(403);
    expect(await t.worker.queues.poll.isPaused()).toBe(false);
    expect((await t.worker.queues.production.getJobs(['active'])).length).toBe(0); // nothing was taken
    // The server's own pages (same origin) and non-browser clients still work.
    const own = await send(url, 'PUT', '/admin/queues/api/queues/poll/pause', { ...auth, origin: url, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(200);
    expect(await t.worker.queues.poll.isPaused()).toBe(true);
    await t.worker.queues.poll.resume();
  });

  it('logs failed logins and refuses an address after ten of them', async () => {
    const wrong = { ...host(), authorization: `Basic ${Buffer.from(`${USER}:guess`).toString('base64')}` };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await send(url, 'GET', '/api/production', wrong)).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Even the right password waits out the window now.
    expect((await send(url, 'GET', '/api/production', { ...host(), authorization: AUTH })).status).toBe(429);
    expect(capture.lines()).toMatch(/failed login/);
    expect(capture.lines()).not.toContain('guess');
  });
});

describe('behind a reverse proxy (HTTP_TRUST_PROXY)', () => {
  it('counts failed logins per client, so one guesser does not lock out the shop', async () => {
    const redis = redisPrefix();
    const t = await startTestWorker({ prefix: `${redis.prefix}-proxy`, adapters: [], env: { ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD, HTTP_TRUST_PROXY: '127.0.0.1' } });
    try {
      const host = { host: new URL(t.worker.httpUrl).host };
      const wrong = { ...host, 'x-forwarded-for': '203.0.113.7', authorization: `Basic ${Buffer.from(`${USER}:guess`).toString('base64')}` };
      for (let i = 0; i < 10; i++) expect((await send(t.worker.httpUrl, 'GET', '/admin/queues/api/queues', wrong)).status).toBe(401);
      expect((await send(t.worker.httpUrl, 'GET', '/admin/queues/api/queues', wrong)).status).toBe(429);
      const shop = { ...host, 'x-forwarded-for': '198.51.100.20', authorization: AUTH };
      expect((await send(t.worker.httpUrl, 'GET', '/admin/queues/api/queues', shop)).status).toBe(200);
    } finally {
      await t.dispose();
      await redis.cleanup();
    }
  });
});
