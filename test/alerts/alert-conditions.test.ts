import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSecrets, ConfigError, loadConfig } from '../../config/env.ts';
import { ensureAccount, markPolled } from '../../db/accounts.ts';
import type { Alert } from '../../jobs/alerts/alert.ts';
import { checkAtRiskJobs, checkStalledSyncs, type CheckDeps } from '../../jobs/alerts/checks.ts';
import { conditionState } from '../../jobs/alerts/condition-state.ts';
import { createAlertsFeature } from '../../jobs/alerts/index.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { productionFeature, productionRules } from '../../jobs/production/index.ts';
import { takeNext } from '../../jobs/production/lifecycle.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { redisPrefix, silentLog } from '../support/env.ts';
import { FakeAdapter, type FakeRawOrder } from '../support/fake-adapter.ts';
import { startWebhookReceiver, until } from './receivers.ts';

const redis = redisPrefix();
afterAll(() => redis.cleanup());
const receiver = await startWebhookReceiver();
afterAll(() => receiver.close());

const feature = createAlertsFeature({ scheduled: false });
let t: Awaited<ReturnType<typeof startTestWorker>>;
let deps: CheckDeps;
beforeAll(async () => {
  t = await startTestWorker({
    prefix: `${redis.prefix}-conditions`,
    adapters: [],
    features: [productionFeature, feature],
    env: { ALERT_WEBHOOK_URLS: receiver.url('/conditions'), ALERT_WEBHOOK_SECRET: 'test-webhook-secret-0123456789' },
  });
  const s = t.worker;
  deps = { db: s.db, queues: s.queues, state: conditionState(s.redis, s.prefix), settings: s.config.alerts, plan: {}, log: silentLog() };
});
afterAll(() => t.dispose());

const delivered = () => receiver.received('/conditions').map((d) => JSON.parse(d.body) as Alert);
const scan = () => feature.periodic!(t.worker).find((p) => p.name === 'alerts-scan-events')!.run() as Promise<{ events: number; alerts: number }>;

describe('alert conditions', () => {
  it('a sync without a successful poll for 3 intervals alerts once, then once when polled again', async () => {
    const shop = new FakeAdapter('stalled-shop');
    const id = ensureAccount(t.worker.db, 'etsy', 'stalled-shop');
    const now = new Date('2026-11-20T12:00:00Z');
    const opts = { pollIntervalMs: 60_000, since: new Date('2026-11-20T09:00:00Z'), now };
    markPolled(t.worker.db, id, '2026-11-20T11:58:00Z');
    expect(await checkStalledSyncs(deps, [shop], opts)).toEqual({ alerts: 0 }); // 2 intervals: not yet

    markPolled(t.worker.db, id, '2026-11-20T11:56:30Z');
    expect(await checkStalledSyncs(deps, [shop], opts)).toEqual({ alerts: 1 });
    expect(await checkStalledSyncs(deps, [shop], { ...opts, now: new Date('2026-11-20T12:30:00Z') })).toEqual({ alerts: 0 });

    markPolled(t.worker.db, id, '2026-11-20T12:31:00Z');
    expect(await checkStalledSyncs(deps, [shop], { ...opts, now: new Date('2026-11-20T12:31:30Z') })).toEqual({ alerts: 1 });
    expect(await checkStalledSyncs(deps, [shop], { ...opts, now: new Date('2026-11-20T12:32:00Z') })).toEqual({ alerts: 0 });

    // A worker that was stopped: counted from its start, not from the last poll before it.
    expect(await checkStalledSyncs(deps, [shop], { ...opts, since: new Date('2026-11-20T14:00:00Z'), now: new Date('2026-11-20T14:02:00Z') })).toEqual({ alerts: 0 });

    await until(() => delivered().filter((a) => a.accountId === id).length === 2, 'the stalled alert and its all-clear');
    expect(delivered().filter((a) => a.accountId === id).map((a) => [a.type, a.severity, a.condition])).toEqual([
      ['sync.stalled', 'critical', `stalled:${id}`],
      ['sync.resumed', 'resolved', `stalled:${id}`],
    ]);
  });

  it('a print job at risk alerts once; an order cancelled after its print started alerts, one cancelled before does not', async () => {
    const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    const order = (id: string, minute: number, shipBy: string, extra: Partial<FakeRawOrder> = {}): FakeRawOrder => ({
      id,
      modified: new Date(Date.UTC(2026, 10, 20, 10, minute)).toISOString(),
      shipBy,
      lines: [{ id: `${id}-1`, sku: '3DP-PLANTER-L', qty: 1 }],
      ...extra,
    });
    const shop = new FakeAdapter('print-shop');
    shop.orders = [order('RUSH', 1, hours(2)), order('LATER', 2, hours(96))];
    const intake = productionFeature.intake!(t.worker);
    const poll = () => pollAccount({ db: t.worker.db, adapter: shop, intake, log: silentLog() });
    await poll();

    const rules = productionRules(t.worker.config.productionRulesPath);
    expect(await checkAtRiskJobs(deps, rules)).toEqual({ alerts: 1 });
    expect(await checkAtRiskJobs(deps, rules)).toEqual({ alerts: 0 });
    await until(() => delivered().some((a) => a.type === 'production.at_risk'), 'the at-risk alert');
    expect(delivered().filter((a) => a.type === 'production.at_risk').map((a) => a.title)).toEqual(['etsy order RUSH may miss its ship-by']);

    // RUSH (earliest ship-by) goes on a printer; then both orders are cancelled on the marketplace.
    const printing = await takeNext({ db: t.worker.db, queues: t.worker.queues, connection: t.worker.redis, prefix: t.worker.prefix });
    expect(printing?.name).toBe('etsy RUSH 3DP-PLANTER-L');
    await scan(); // what happened so far (nothing that alerts)
    shop.orders = [order('RUSH', 30, hours(2), { status: 'cancelled' }), order('LATER', 31, hours(96), { status: 'cancelled' })];
    await poll();
    expect(await scan()).toEqual({ events: 2, alerts: 1 });
    await until(() => delivered().some((a) => a.type === 'production.cancelled_after_start'), 'the cancellation alert');
    const [cancelled] = delivered().filter((a) => a.type === 'production.cancelled_after_start');
    expect(cancelled!.title).toBe('etsy order RUSH was cancelled after its print started');
    expect(cancelled!.message).toContain(`#${printing!.productionItemId} 3DP-PLANTER-L x1 (printing)`);
  });
});

describe('alert settings', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => `${p.variable}: ${p.problem}`);
    }
  };

  it('wants a secret with webhooks, http(s) URLs, and SMTP_URL and ALERT_EMAIL_TO together', () => {
    expect(problems({ ALERT_WEBHOOK_URLS: 'https://ops.example/hook' })).toEqual([expect.stringMatching(/^ALERT_WEBHOOK_SECRET: is required with ALERT_WEBHOOK_URLS/)]);
    expect(problems({ ALERT_WEBHOOK_URLS: 'https://ops.example/hook,ftp://ops.example/x', ALERT_WEBHOOK_SECRET: 'x'.repeat(32) })).toEqual([expect.stringMatching(/^ALERT_WEBHOOK_URLS: must be http/)]);
    expect(problems({ ALERT_WEBHOOK_URLS: 'https://ops.example/hook', ALERT_WEBHOOK_SECRET: 'short' })).toEqual([expect.stringMatching(/^ALERT_WEBHOOK_SECRET: must be at least 16/)]);
    expect(problems({ ALERT_WEBHOOK_FORMAT: 'teams' })).toEqual([expect.stringMatching(/^ALERT_WEBHOOK_FORMAT:/)]);
    expect(problems({ SMTP_URL: 'smtp://mail.example:587' })).toEqual([expect.stringMatching(/^ALERT_EMAIL_TO: is required with SMTP_URL/)]);
    expect(problems({ ALERT_EMAIL_TO: 'owner@printshop.example' })).toEqual([expect.stringMatching(/^SMTP_URL: is required with ALERT_EMAIL_TO/)]);
    expect(problems({ SMTP_URL: 'http://mail.example', ALERT_EMAIL_TO: 'not an address' }).map((p) => p.split(':')[0]).sort()).toEqual(['ALERT_EMAIL_TO', 'SMTP_URL']);
  });

  it('parses the lists, defaults the format and sender, and keeps the secrets out of logs', () => {
    const config = loadConfig({
      ALERT_WEBHOOK_URLS: ' https://ops.example/hook , https://hooks.slack.com/services/T0/B0/tokentoken ',
      ALERT_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
      SMTP_URL: 'smtp://alerts:p%40ssword-123@mail.example:587',
      ALERT_EMAIL_TO: 'owner@printshop.example, workshop@printshop.example',
    });
    expect(config.alerts).toMatchObject({
      webhookUrls: ['https://ops.example/hook', 'https://hooks.slack.com/services/T0/B0/tokentoken'],
      webhookFormat: 'json',
      emailTo: ['owner@printshop.example', 'workshop@printshop.example'],
    });
    expect(config.alerts.emailFrom).toMatch(/^order-sync-worker@./);
    expect(configSecrets(config)).toEqual(expect.arrayContaining(['a-webhook-secret-of-some-length', 'https://hooks.slack.com/services/T0/B0/tokentoken', 'p@ssword-123']));
  });
});
