import { AuthError, PermanentRemoteError, PermissionDeniedError, RateLimitedError, TransientError } from '../src/errors.ts';

/** Retry-After in seconds or an HTTP date -> milliseconds (at least `fallbackMs` when absent). */
export function retryAfterMs(value: string | undefined | null, fallbackMs: number, now = Date.now()): number {
  if (!value) return fallbackMs;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? fallbackMs : Math.max(0, date - now);
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET']);

export interface HttpFailure {
  status?: number;
  code?: string;
  headers?: Record<string, string | string[] | undefined>;
  /** The platform's own error text, for the message ops will read. */
  detail?: string;
}

/**
 * Maps an HTTP failure onto the error taxonomy. Adapters extract status/headers/detail from their
 * client's error shape and call this, so the three platforms classify the same way.
 */
export function classifyHttpFailure(platform: string, operation: string, f: HttpFailure, cause?: unknown): Error {
  const what = `${platform} ${operation}`;
  const detail = f.detail ? `: ${f.detail}` : '';
  const header = (name: string) => {
    const v = f.headers?.[name] ?? f.headers?.[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  if (f.status === 429) {
    return new RateLimitedError(`${what} was rate limited (429)${detail}`, retryAfterMs(header('retry-after'), 2_000), { cause });
  }
  if (f.status === 401) return new AuthError(platform, `${what} refused the credentials (401)${detail}`, { cause });
  if (f.status === 403) return new PermissionDeniedError(platform, `${what} is not permitted for this account (403)${detail}`, { cause });
  if (f.status !== undefined && (f.status >= 500 || f.status === 408)) {
    return new TransientError(`${what} failed with ${f.status}${detail}`, { cause });
  }
  if (f.status !== undefined && f.status >= 400) {
    return new PermanentRemoteError(`${what} was refused (${f.status})${detail}`, { cause });
  }
  if (f.code && TRANSIENT_CODES.has(f.code)) return new TransientError(`${what} could not reach the API (${f.code})`, { cause });
  return new TransientError(`${what} failed: ${f.detail ?? f.code ?? 'unknown error'}`, { cause });
}
