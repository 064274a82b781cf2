import { UnrecoverableError } from 'bullmq';

/**
 * The one error taxonomy of the worker. Adapters translate whatever their HTTP client throws into
 * these; the job processors decide retry behaviour from the class alone (see `toJobError`).
 */

export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  /** How long the API asked us to wait, in milliseconds. */
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** 5xx, timeouts, connection resets: retried with exponential backoff and jitter. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** Credentials refused (after one refresh attempt): the account is marked unhealthy, others go on. */
export class AuthError extends Error {
  override name = 'AuthError';
  readonly platform: string;
  constructor(platform: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.platform = platform;
  }
}

/**
 * The marketplace accepted the credentials but does not let this account do the action (403): the
 * shop's role or scope is missing. Not a broken login: the account stays healthy.
 */
export class PermissionDeniedError extends AuthError {
  override name = 'PermissionDeniedError';
}

/**
 * The marketplace refused the app's own configuration (Etsy's API key or shared secret), not the
 * shop's token: no refresh can help, nothing is retried, no manual step is asked of anyone; the
 * account is unhealthy until the setting named in the message is fixed.
 */
export class ConfigurationError extends AuthError {
  override name = 'ConfigurationError';
}

/** A marketplace payload that cannot be trusted; names the field. Never retried: quarantined. */
export class BadPayloadError extends Error {
  override name = 'BadPayloadError';
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(`${field}: ${message}`, options);
    this.field = field;
  }
}

/** Our own input is wrong (unknown carrier, bad quantity...). Never retried. `field` names the input, when one is to blame. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly field?: string;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** The marketplace refused an action for good (order cancelled, carrier rejected). Never retried. */
export class PermanentRemoteError extends Error {
  override name = 'PermanentRemoteError';
}

/** The marketplace does not let this app do the action at all; a person must do it by hand. */
export class ManualActionRequired extends Error {
  override name = 'ManualActionRequired';
  readonly todo: string;
  constructor(todo: string, reason: string, options?: ErrorOptions) {
    super(`${reason}. Manual step: ${todo}`, options);
    this.todo = todo;
  }
}

/** A shutdown's cancelled wait is retryable too: nothing was sent, the next run does it. */
export const isRetryable = (err: unknown): boolean =>
  err instanceof TransientError || err instanceof RateLimitedError || err instanceof ShutdownError;

/** Maps our taxonomy onto BullMQ: non-retryable classes become UnrecoverableError (no more attempts). */
export function toJobError(err: unknown): Error {
  if (isRetryable(err)) return err as Error;
  if (err instanceof UnrecoverableError) return err;
  if (
    err instanceof AuthError ||
    err instanceof BadPayloadError ||
    err instanceof ValidationError ||
    err instanceof PermanentRemoteError ||
    err instanceof ManualActionRequired
  ) {
    const wrapped = new UnrecoverableError(`${err.name}: ${err.message}`);
    (wrapped as Error & { cause?: unknown }).cause = err;
    return wrapped;
  }
  return err instanceof Error ? err : new Error(String(err));
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The worker is shutting down: a call that was still waiting (limiter, retry delay) was not sent. */
export class ShutdownError extends Error {
  override name = 'ShutdownError';
  constructor(what: string) {
    super(`the worker is shutting down: ${what}; the next run starts from the last saved point`);
  }
}
