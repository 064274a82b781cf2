import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents, recordEvent } from '../../db/events.ts';
import type { Alert } from '../../jobs/alerts/alert.ts';
import { createAlertsFeature } from '../../jobs/alerts/index.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { AuthError } from '../../src/errors.ts';
import type { WorkerServices } from '../../src/worker.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { captureLogger, redisPrefix, silentLog } from '../support/env.ts';
import { FakeAdapter } from '../support/fake-adapter.ts';
import { startSmtpReceiver, startWebhookReceiver, until, type Delivery } from './receivers.ts';

const SECRET = 'test-webhook-secret-0123456789';
const redis = redisPrefix();
afterAll(() => redis.cleanup());

// /flaky answers 500 twice, then 204; /broken always 500; anything else 204.
const receiver = await startWebhookReceiver((path, before) => (path === '/broken' ? 500 : path === '/flaky' && before < 2 ? 500 : 204));
const smtp = await startSmtpReceiver();
afterAll(() => Promise.all([receiver.close(), smtp.close()]));

/** What a receiver does: HMAC-SHA256 of the raw body with the shared secret, compared in constant time. */
function signedBySecret(d: Delivery): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(d.body).digest('hex')}`);
  const got = Buffer.from(String(d.headers['x-signature'] ?? ''));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** An Etsy shop whose token can be refused on demand. */
class RefusingShop extends FakeAdapter {
  refuse = false;
  override async *fetchOrdersSince(cursor: string | null, stream?: string, until?: string) {
    if (this.refuse) throw new AuthError('etsy', 'Etsy refused the access token (401 invalid_token)');
    yield* super.fetchOrdersSince(cursor, stream, until);
  }
}

async function startWith(name: string, env: Record<string, string>, opts: { log?: ReturnType<typeof captureLogger>['log'] } = {}) {
  const feature = createAlertsFeature({ backoffMs: 10, scheduled: false });
  const t = await startTestWorker({ prefix: `${redis.prefix}-${name}`, adapters: [], features: [feature], env: { ALERT_WEBHOOK_SECRET: SECRET, ...env }, log: opts.log });
  const task = (taskName: string) => feature.periodic!(t.worker as WorkerServices).find((p) => p.name === taskName)!;
  const scan = () => task('alerts-scan-events').run() as Promise<{ events: number; alerts: number }>;
  return { t, scan, queue: t.worker.queues.alerts };
}

describe('alerts: account health to a webhook and e-mail', () => {
  let w: Awaited<ReturnType<typeof startWith>>;
  const shop = new RefusingShop('alerts-shop');
  const poll = () => pollAccount({ db: w.t.worker.db, adapter: shop, log: silentLog() }).catch(() => undefined);
  const hook = () => receiver.received('/ok');
  beforeAll(async () => {
    w = await startWith('health', { ALERT_WEBHOOK_URLS: receiver.url('/ok'), SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'owner@printshop.example,workshop@printshop.example', ALERT_EMAIL_FROM: 'Order sync <alerts@printshop.example>' });
  });
  afterAll(() => w.t.dispose());

  it('alerts once when the account goes unhealthy, not again while it stays so, and once when it recovers', async () => {
    await poll(); // a healthy first poll: nothing to say
    shop.refuse = true;
    await poll();
    expect(await w.scan()).toEqual({ events: 1, alerts: 1 });
    await until(() => hook().length === 1 && smtp.mails.length === 1, 'one webhook and one e-mail');

    const [unhealthy] = hook();
    expect(signedBySecret(unhealthy!)).toBe(true);
    const alert = JSON.parse(unhealthy!.body) as Alert;
    expect(alert).toMatchObject({ type: 'account.unhealthy', severity: 'critical', condition: 'account:etsy:alerts-shop', accountId: 'etsy:alerts-shop' });
    expect(alert.message).toContain('401 invalid_token');
    expect(unhealthy!.headers['x-event-type']).toBe('account.unhealthy');
    expect(unhealthy!.headers['x-event-id']).toBe(alert.id);
    expect(unhealthy!.headers['content-type']).toBe('application/json');

    const [mail] = smtp.mails;
    expect(mail!.to.sort()).toEqual(['owner@printshop.example', 'workshop@printshop.example']);
    expect(mail!.from).toBe('alerts@printshop.example');
    expect(mail!.headers.subject).toBe('[CRITICAL] account etsy:alerts-shop is unhealthy');
    expect(mail!.headers['x-event-id']).toBe(alert.id);

    // Refused again: a second account.unhealthy event, and no second alert.
    await poll();
    expect(listEvents(w.t.worker.db, { type: 'account.unhealthy' })).toHaveLength(2);
    expect(await w.scan()).toEqual({ events: 1, alerts: 0 });

    shop.refuse = false;
    await poll();
    expect(await w.scan()).toEqual({ events: 1, alerts: 1 });
    await until(() => hook().length >= 2 && smtp.mails.length >= 2, 'the recovery on both');
    await until(async () => (await w.queue.getJobCounts('completed')).completed === 4, 'four deliveries completed');
    // Nothing else was queued or sent: the repeated unhealthy event made no job.
    expect(await w.queue.getJobCounts('completed', 'failed', 'waiting', 'delayed', 'active')).toEqual({ completed: 4, failed: 0, waiting: 0, delayed: 0, active: 0 });
    expect(hook().map((d) => d.headers['x-event-type'])).toEqual(['account.unhealthy', 'account.healthy']);
    expect(smtp.mails.map((m) => m.headers.subject)).toEqual(['[CRITICAL] account etsy:alerts-shop is unhealthy', '[RESOLVED] account etsy:alerts-shop is healthy again']);
    const recovery = JSON.parse(hook()[1]!.body) as Alert;
    expect(signedBySecret(hook()[1]!)).toBe(true);
    expect(recovery).toMatchObject({ severity: 'resolved', condition: alert.condition });

    // After the recovery, a new refusal alerts again.
    shop.refuse = true;
    await poll();
    expect(await w.scan()).toEqual({ events: 1, alerts: 1 });
    await until(() => hook().length === 3 && smtp.mails.length === 3, 'the second outage on both');
  });
});

describe('alerts: retries and dead letters', () => {
  it('retries a receiver answering 500 until it takes the alert', async () => {
    const w = await startWith('flaky', { ALERT_WEBHOOK_URLS: receiver.url('/flaky') });
    try {
      recordEvent(w.t.worker.db, { type: 'shipment.failed', shipmentId: 'shp_flaky', message: 'push refused: tracking number already used' });
      expect(await w.scan()).toEqual({ events: 1, alerts: 1 });
      const [job] = await w.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
      await until(async () => (await job!.getState()) === 'completed', 'the delivery to complete');
      const tries = receiver.received('/flaky');
      expect(tries).toHaveLength(3);
      expect(new Set(tries.map((d) => d.headers['x-event-id'])).size).toBe(1);
      expect(tries.every(signedBySecret)).toBe(true);
      expect((await w.queue.getJob(job!.id!))!.attemptsMade).toBe(3);
    } finally {
      await w.t.dispose();
    }
  });

  it('leaves an alert that never gets through failed in the queue, with a log line and an event', async () => {
    const captured = captureLogger('info');
    const w = await startWith('broken', { ALERT_WEBHOOK_URLS: receiver.url('/broken') }, { log: captured.log });
    try {
      recordEvent(w.t.worker.db, { type: 'shipment.manual', shipmentId: 'shp_manual', message: 'to do by hand: add the tracking in Seller Central' });
      expect(await w.scan()).toEqual({ events: 1, alerts: 1 });
      await until(async () => (await w.queue.getJobCounts('failed')).failed === 1, 'the job to end failed');
      const [dead] = await w.queue.getFailed();
      expect(dead!.attemptsMade).toBe(6);
      expect(dead!.failedReason).toContain('HTTP 500');
      expect(receiver.received('/broken')).toHaveLength(6);
      await until(() => captured.lines().includes('alert could not be delivered'), 'the log line');
      const [event] = listEvents(w.t.worker.db, { type: 'alert.undelivered' });
      expect(event!.message).toMatch(/^alert could not be delivered: shipment\.manual .* to webhook 127\.0\.0\.1:\d+ after 6 attempt/);
      // The undelivered event itself alerts nothing (no loop).
      expect(await w.scan()).toEqual({ events: 1, alerts: 0 });
    } finally {
      await w.t.dispose();
    }
  });
});

describe('alerts: slack format', () => {
  it('posts {"text": ...} with the severity and title, signed the same way', async () => {
    const w = await startWith('slack', { ALERT_WEBHOOK_URLS: receiver.url('/slack'), ALERT_WEBHOOK_FORMAT: 'slack' });
    try {
      recordEvent(w.t.worker.db, { type: 'account.unhealthy', accountId: 'ebay:slack-shop', message: 'eBay refused the token' });
      await w.scan();
      await until(() => receiver.received('/slack').length === 1, 'the slack post');
      const [post] = receiver.received('/slack');
      const body = JSON.parse(post!.body) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['text']);
      expect(body.text).toMatch(/^\[CRITICAL\] account ebay:slack-shop is unhealthy\neBay refused the token\. /);
      expect(signedBySecret(post!)).toBe(true);
      expect(post!.headers['x-event-type']).toBe('account.unhealthy');
    } finally {
      await w.t.dispose();
    }
  });
});
