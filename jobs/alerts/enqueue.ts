import { createHash } from 'node:crypto';
import type { AlertSettings } from '../../config/env.ts';
import { jobIds, type Queues } from '../queues.ts';
import type { Alert, DestinationId } from './alert.ts';

/** Overrides of the queue's retry defaults (tests). */
export interface RetryPlan {
  backoffMs?: number;
  attempts?: number;
}

export const webhookDestination = (url: string): DestinationId => `webhook:${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;

/** Where alerts go with these settings: each webhook, and the e-mail recipients together. */
export function destinations(settings: AlertSettings): DestinationId[] {
  return [...settings.webhookUrls.map(webhookDestination), ...(settings.smtpUrl && settings.emailTo.length ? ['email'] : [])];
}

export const webhookUrlOf = (settings: AlertSettings, destination: DestinationId) => settings.webhookUrls.find((u) => webhookDestination(u) === destination);

/** For logs and Bull Board: the webhook's host (its URL may hold a token), or "e-mail". */
export function destinationLabel(settings: AlertSettings, destination: DestinationId): string {
  if (destination === 'email') return 'e-mail';
  const url = webhookUrlOf(settings, destination);
  return url ? `webhook ${new URL(url).host}` : destination;
}

/** One job per destination, with deterministic ids: enqueueing the same alert again is a no-op. */
export async function enqueueAlert(queues: Queues, settings: AlertSettings, alert: Alert, plan: RetryPlan = {}): Promise<void> {
  const list = destinations(settings);
  if (list.length === 0) return;
  await queues.alerts.addBulk(
    list.map((destination) => ({
      name: `${alert.type} to ${destinationLabel(settings, destination)}`,
      data: { alert, destination },
      opts: {
        jobId: jobIds.alert(alert.id, destination),
        ...(plan.backoffMs !== undefined ? { backoff: { type: 'exponential', delay: plan.backoffMs } } : {}),
        ...(plan.attempts !== undefined ? { attempts: plan.attempts } : {}),
      },
    })),
  );
}
