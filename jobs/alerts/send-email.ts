import { UnrecoverableError } from 'bullmq';
import type { SendMailOptions, SentMessageInfo, Transporter } from 'nodemailer';
import { errorMessage } from '../../src/errors.ts';
import { emailSubject, emailText, type Alert } from './alert.ts';

export interface Mailer {
  sendMail(message: SendMailOptions): Promise<SentMessageInfo>;
  close(): void;
}

/**
 * One SMTP transport per worker; it connects per message (alerts are rare, a pool would sit idle).
 * nodemailer is loaded with the first e-mail: a worker that never sends one never loads it.
 */
export function createMailer(smtpUrl: string): Mailer {
  let transport: Promise<Transporter> | undefined;
  const open = () =>
    (transport ??= import('nodemailer').then((m) => m.default.createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 })));
  return {
    sendMail: async (message) => (await open()).sendMail(message),
    close: () => void transport?.then((t) => t.close()),
  };
}

/**
 * Sends the alert to every recipient in one message. A permanent refusal (a 5xx reply: bad login,
 * unknown recipient, sender not allowed) fails the job at once; a lost connection or a 4xx is retried.
 */
export async function sendAlertEmail(mailer: Mailer, alert: Alert, envelope: { from: string; to: string[] }): Promise<{ messageId: string }> {
  try {
    const info = await mailer.sendMail({
      from: envelope.from,
      to: envelope.to,
      subject: emailSubject(alert),
      text: emailText(alert),
      headers: { 'X-Event-Type': alert.type, 'X-Event-Id': alert.id },
    });
    return { messageId: info.messageId };
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    if (code !== undefined && code >= 500) {
      throw new UnrecoverableError(`the mail server refused the alert e-mail (${errorMessage(err)}): not retried; check SMTP_URL's login, ALERT_EMAIL_FROM and ALERT_EMAIL_TO`);
    }
    throw new Error(`alert e-mail not sent: ${errorMessage(err)}; retrying`, { cause: err });
  }
}
