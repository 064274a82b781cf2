import { UnrecoverableError, Worker } from 'bullmq';
import type { AlertSettings } from '../../config/env.ts';
import { recordEvent } from '../../db/events.ts';
import { errorMessage } from '../../src/errors.ts';
import type { WorkerFeature, WorkerServices } from '../../src/worker.ts';
import { productionRules } from '../production/index.ts';
import type { AlertDelivery } from './alert.ts';
import { withLease } from '../lease.ts';
import { checkAtRiskJobs, checkStalledSyncs, newestEventId, scanEvents, type CheckDeps } from './checks.ts';
import { conditionState } from './condition-state.ts';
import { postWebhook } from './deliver-webhook.ts';
import { destinationLabel, destinations, webhookUrlOf, type RetryPlan } from './enqueue.ts';
import { createMailer, sendAlertEmail, type Mailer } from './send-email.ts';

const SCAN_EVENTS_EVERY_MS = 10_000;
/** A scan holds the lease this long at most without renewing it (it renews while it runs). */
const SCAN_LEASE_MS = 60_000;
const STALLED_CHECK_EVERY_MS = 60_000;
const AT_RISK_CHECK_EVERY_MS = 5 * 60_000;

function deliver(settings: AlertSettings, mailer: Mailer | undefined, { alert, destination }: AlertDelivery) {
  if (destination === 'email') {
    if (!mailer) throw new UnrecoverableError('e-mail alerts are not configured any more (SMTP_URL, ALERT_EMAIL_TO): remove this job, or set them and retry it');
    return sendAlertEmail(mailer, alert, { from: settings.emailFrom, to: settings.emailTo });
  }
  const url = webhookUrlOf(settings, destination);
  if (!url) throw new UnrecoverableError(`${destination} is not in ALERT_WEBHOOK_URLS any more: remove this job, or put the URL back and retry it`);
  return postWebhook(url, alert, { secret: settings.webhookSecret!, format: settings.webhookFormat });
}

export interface AlertsOptions extends RetryPlan {
  /** false: the checks are not scheduled, they run when called (tests). */
  scheduled?: boolean;
}

/**
 * Operator alerts: periodic checks turn new `events` rows (account health, failed and manual
 * shipments, cancellations after a print started), stalled polls and at-risk print jobs into alerts,
 * each raised once until its condition clears; the `alerts` queue delivers each to every webhook and
 * to the e-mail recipients as jobs of their own, retried with backoff. A job out of attempts stays
 * failed in the queue (the dead letters, visible in Bull Board) and is recorded as `alert.undelivered`.
 */
export function createAlertsFeature(opts: AlertsOptions = {}): WorkerFeature {
  const { scheduled = true, ...plan } = opts;
  const startedAt = new Date();
  const checkDeps = (s: WorkerServices): CheckDeps => ({
    db: s.db,
    queues: s.queues,
    state: conditionState(s.redis, s.prefix),
    settings: s.config.alerts,
    plan,
    log: s.log.child({ component: 'alerts' }),
  });
  const enabled = (s: WorkerServices) => destinations(s.config.alerts).length > 0;
  return {
    name: 'alerts',
    workers: (s) => {
      if (!enabled(s)) return [];
      const settings = s.config.alerts;
      const log = s.log.child({ component: 'alerts' });
      const mailer = settings.smtpUrl ? createMailer(settings.smtpUrl) : undefined;
      const worker = new Worker<AlertDelivery>('alerts', (job) => deliver(settings, mailer, job.data), {
        connection: s.redis,
        prefix: s.prefix,
        concurrency: 4,
        autorun: false,
      });
      worker.on('closed', () => mailer?.close());
      worker.on('failed', (job, err) => {
        if (!job) return;
        const to = destinationLabel(settings, job.data.destination);
        const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
        if (!final) {
          log.warn({ alert: job.data.alert.id, destination: to, attempt: job.attemptsMade, reason: errorMessage(err) }, 'alert delivery failed; retrying');
          return;
        }
        const message = `alert could not be delivered: ${job.data.alert.type} "${job.data.alert.title}" to ${to} after ${job.attemptsMade} attempt(s) (${errorMessage(err)}); it stays failed in Bull Board (queue alerts): fix the destination, then retry it there`;
        try {
          recordEvent(s.db, { type: 'alert.undelivered', accountId: job.data.alert.accountId, message, data: { alertId: job.data.alert.id, destination: job.data.destination } });
        } catch (e) {
          log.error({ err: e }, 'could not record an undelivered alert');
        }
        log.error({ alert: job.data.alert.id, destination: to }, message);
      });
      return [worker];
    },
    // The first start begins at the newest event: history is not alerted.
    start: async (s) => {
      if (enabled(s)) await conditionState(s.redis, s.prefix).initEventCursor(newestEventId(s.db));
    },
    periodic: (s) => {
      const on = scheduled && enabled(s);
      return [
        {
          name: 'alerts-scan-events',
          everyMs: on ? SCAN_EVENTS_EVERY_MS : undefined,
          // One scan at a time across worker processes: two would race on the conditions (a stale
          // "unhealthy" raised again after its recovery was sent).
          run: async () => {
            const scan = await withLease(s.redis, `${s.prefix}:lease:alerts-scan`, SCAN_LEASE_MS, () => scanEvents(checkDeps(s)));
            return scan.held ? scan.value : { events: 0, alerts: 0, skipped: 'another worker is scanning' };
          },
        },
        {
          name: 'alerts-stalled-syncs',
          everyMs: on ? STALLED_CHECK_EVERY_MS : undefined,
          run: () => checkStalledSyncs(checkDeps(s), s.adapters, { pollIntervalMs: s.config.pollIntervalMs, since: startedAt }),
        },
        {
          name: 'alerts-at-risk-jobs',
          everyMs: on ? AT_RISK_CHECK_EVERY_MS : undefined,
          run: () => checkAtRiskJobs(checkDeps(s), productionRules(s.config.productionRulesPath)),
        },
      ];
    },
  };
}

export const alertsFeature = createAlertsFeature();
