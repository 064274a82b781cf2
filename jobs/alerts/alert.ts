/** What an operator is told, the same to every destination. */
export interface Alert {
  /** Unique per alert (X-Event-Id); the same condition seen again after a crash gets the same id. */
  id: string;
  /** What happened (X-Event-Type): account.unhealthy, account.healthy, sync.stalled, sync.resumed, shipment.failed, shipment.manual, production.at_risk, production.cancelled_after_start. */
  type: string;
  /** resolved: a recovery, the end of an alert sent before under the same `condition`. */
  severity: 'critical' | 'warning' | 'resolved';
  /** What the alert is about, e.g. `account:etsy:123`; a raise and its recovery share it. */
  condition: string;
  title: string;
  message: string;
  at: string;
  accountId?: string;
  orderId?: number;
  shipmentId?: string;
  productionItemId?: number;
}

/** `email`, or `webhook:<first 12 hex of the URL's SHA-256>`: job data never carries a webhook URL (it can be a credential). */
export type DestinationId = string;

export interface AlertDelivery {
  alert: Alert;
  destination: DestinationId;
}

/** The body a webhook receives: the alert itself, or a Slack/Discord-compatible `{ text }`. */
export function webhookBody(alert: Alert, format: 'json' | 'slack'): string {
  if (format === 'json') return JSON.stringify(alert);
  return JSON.stringify({ text: `${SEVERITY_LABEL[alert.severity]} ${alert.title}\n${alert.message}` });
}

const SEVERITY_LABEL: Record<Alert['severity'], string> = { critical: '[CRITICAL]', warning: '[WARNING]', resolved: '[RESOLVED]' };

export function emailSubject(alert: Alert): string {
  return `${SEVERITY_LABEL[alert.severity]} ${alert.title}`;
}

export function emailText(alert: Alert): string {
  const about = [
    alert.accountId && `account: ${alert.accountId}`,
    alert.orderId !== undefined && `order id: ${alert.orderId}`,
    alert.shipmentId && `shipment: ${alert.shipmentId}`,
    alert.productionItemId !== undefined && `production item: ${alert.productionItemId}`,
  ].filter(Boolean);
  return [alert.message, '', ...about, `at: ${alert.at}`, `alert: ${alert.type} ${alert.id}`].join('\n');
}
