import { pino, stdSerializers, type Logger, type DestinationStream, type LoggerOptions } from 'pino';

/**
 * Secrets are kept out of the log twice over: known secret-bearing keys are redacted by path, and
 * every line is scrubbed of the literal secret values the process knows (config credentials and
 * tokens refreshed at run time), which also catches them inside error messages, URLs and bodies
 * that HTTP clients put on their errors.
 */
const secretValues = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) secretValues.add(value);
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of secretValues) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join('[redacted]');
  }
  // Bearer tokens and form-encoded grants the process never saw as config.
  return out
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=|-]{8,}/gi, '$1[redacted]')
    .replace(/((?:refresh_token|access_token|client_secret|password)=)[^&"\s]+/gi, '$1[redacted]');
}

const REDACT_KEYS = [
  'authorization',
  'Authorization',
  'x-api-key',
  'x-amz-access-token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'clientSecret',
  'client_secret',
  'sharedSecret',
  'shared_secret',
  'password',
  'userToken',
];

/** Errors from axios and friends carry the whole request; keep what helps ops, drop the rest. */
function serializeError(err: unknown) {
  const base = stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  const e = err as { response?: { status?: number; data?: unknown }; config?: { method?: string; url?: string }; code?: string; cause?: unknown };
  const out: Record<string, unknown> = { type: base.type, message: base.message, stack: base.stack };
  if (e.code) out.code = e.code;
  if (e.response?.status) out.status = e.response.status;
  if (e.config?.url) out.request = `${(e.config.method ?? 'get').toUpperCase()} ${e.config.url}`;
  if (e.response?.data !== undefined) out.responseBody = e.response.data;
  if (e.cause instanceof Error) out.cause = serializeError(e.cause);
  return out;
}

export interface LoggerSettings {
  level: string;
  /** Pretty output; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    redact: { paths: [...REDACT_KEYS, ...REDACT_KEYS.map((k) => `*.${k}`), ...REDACT_KEYS.map((k) => `*.*.${k}`)], censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    hooks: { streamWrite: scrubSecrets },
  };
  const pretty = settings.pretty ?? (process.stdout.isTTY && !settings.destination);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

export type { Logger };
