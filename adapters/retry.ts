import pRetry, { AbortError } from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimitedError, ShutdownError, TransientError } from '../src/errors.ts';

export interface RetryOptions {
  /** Attempts after the first for transient failures. */
  retries?: number;
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** Waits on 429s do not use up `retries`, but are bounded by this many in a row. */
  maxRateLimitWaits?: number;
  onRateLimited?: (err: RateLimitedError) => void | Promise<void>;
  /** How long one request may wait for its answer before it is a TransientError (default 30 s). */
  requestTimeoutMs?: number;
  /** Aborted at shutdown: a retry delay or a 429 wait ends at once with a ShutdownError. */
  signal?: AbortSignal;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The policy for a request that creates something on the marketplace (a shipment confirmation, a
 * tracking upload): a 429 or a 401 was not processed and is sent again, but a timeout or a 5xx may
 * have been, so it is never re-sent blindly. The job retries instead, and every later attempt first
 * asks the marketplace what it already has.
 */
export const sendOnce = (options: RetryOptions = {}): RetryOptions => ({ ...options, retries: 0 });

/**
 * The one retry policy for marketplace calls: transient errors back off exponentially with
 * jitter (p-retry); a 429 waits exactly as long as the API said, without spending a retry;
 * everything else (auth, bad payload, validation, permanent refusal) fails at once.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { signal } = options;
  for (let rateLimitWaits = 0; ; rateLimitWaits++) {
    if (signal?.aborted) throw new ShutdownError('the call was not sent');
    try {
      return await pRetry(
        async () => {
          try {
            return await fn();
          } catch (err) {
            if (err instanceof TransientError) throw err;
            throw new AbortError(err as Error); // rate limits are handled below; the rest is final
          }
        },
        {
          retries: options.retries ?? 5,
          minTimeout: options.minTimeoutMs ?? 500,
          maxTimeout: options.maxTimeoutMs ?? 30_000,
          factor: 2,
          randomize: true,
          signal,
        },
      );
    } catch (err) {
      // p-retry ends a delay with the signal's reason; an error the request itself gave stays as it is.
      if (signal?.aborted && err === signal.reason && !(err instanceof ShutdownError)) throw new ShutdownError('a retry delay was cut short');
      if (!(err instanceof RateLimitedError) || rateLimitWaits >= (options.maxRateLimitWaits ?? 20)) throw err;
      await options.onRateLimited?.(err);
      await sleep(err.retryAfterMs, undefined, { signal }).catch(() => {
        throw new ShutdownError('a rate-limit wait was cut short');
      });
    }
  }
}
