import { createHmac } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { errorMessage } from '../../src/errors.ts';
import { webhookBody, type Alert } from './alert.ts';

const TIMEOUT_MS = 10_000;

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes, as the receiver recomputes it. */
export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * POSTs the alert; resolves on any 2xx. A refusal no retry can change (4xx but 408 and 429) fails
 * the job at once; anything else (5xx, timeout, connection refused) is thrown to be retried.
 */
export async function postWebhook(url: string, alert: Alert, settings: { secret: string; format: 'json' | 'slack' }): Promise<{ status: number }> {
  const body = webhookBody(alert, settings.format);
  const host = new URL(url).host;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'order-sync-worker alerts',
        'x-signature': signature(body, settings.secret),
        'x-event-type': alert.type,
        'x-event-id': alert.id,
      },
      body,
      // A redirect is answered as a failure: the signed body is never re-sent somewhere else.
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`webhook ${host} not reached: ${errorMessage(err)}`, { cause: err });
  }
  await res.body?.cancel();
  if (res.ok) return { status: res.status };
  const what = `webhook ${host} answered HTTP ${res.status}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
    throw new UnrecoverableError(`${what}: not retried; check the URL in ALERT_WEBHOOK_URLS and that the receiver checks X-Signature with ALERT_WEBHOOK_SECRET`);
  }
  throw new Error(`${what}; retrying`);
}
