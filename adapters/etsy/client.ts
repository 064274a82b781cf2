import { setTimeout as sleep } from 'node:timers/promises';
import axios, { AxiosError, type AxiosInstance, type AxiosRequestConfig } from 'axios';
import type { Logger } from 'pino';
import { getTokens, saveTokens } from '../../db/accounts.ts';
import { withWriteRetry, type Db } from '../../db/connection.ts';
import { AuthError, ConfigurationError } from '../../src/errors.ts';
import { registerSecret } from '../../src/logger.ts';
import { classifyHttpFailure } from '../http-errors.ts';
import { OperationLimiters, type LimiterScope } from '../limiter.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, sendOnce, withRetry, type RetryOptions } from '../retry.ts';
import { etsyLimits } from './limits.ts';

export const ETSY_API_URL = 'https://openapi.etsy.com';
/** Refresh this long before the access token's hour is up. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** How long a refused refresh looks for another process's fresh tokens (10 x 200 ms). */
const RACE_WAIT_STEPS = 10;
const RACE_WAIT_STEP_MS = 200;

export interface EtsyClientOptions {
  db: Db;
  log: Logger;
  accountId: string;
  clientId: string;
  sharedSecret: string;
  accessToken: string;
  refreshToken?: string;
  baseUrl?: string;
  rateLimitPerMinute?: number;
  retry?: RetryOptions;
  /** Shared (Redis) buckets and the shutdown signal; see OperationLimiters. */
  limiterScope?: LimiterScope;
}

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

/**
 * Etsy's 403 bodies when the x-api-key header itself is wrong ("Shared secret is required in x-api-key
 * header.", "Invalid API key", an invalid API key format): the app's settings, not a permission. A
 * permission refusal also names the key ("This API key is not permitted to add tracking...") and must
 * not match.
 */
const API_KEY_REFUSAL =
  /shared secret|x-api-key|invalid api ?key|api ?key (?:is )?(?:invalid|missing|required|not found|not valid|inactive|revoked|suspended|disabled|expired)|api ?key format|(?:inactive|revoked|suspended|disabled|expired) api ?key/i;

/** True when a 403 body refuses the app's key or shared secret rather than a permission. */
export const isApiKeyRefusal = (detail: string) => API_KEY_REFUSAL.test(detail);

/**
 * Etsy Open API v3 over axios: `x-api-key: keystring:shared_secret` on every call (required since
 * 2026-02-09; the definition still shows the keystring alone), an OAuth bearer token refreshed before
 * it expires (and once on a 401), the refresh token Etsy rotates persisted in SQLite, every call
 * through the app's rate limiter and the shared retry policy.
 */
export class EtsyClient {
  readonly http: AxiosInstance;
  private readonly limiters: OperationLimiters;
  private readonly opts: EtsyClientOptions;
  private accessToken: string;
  private refreshToken?: string;
  private expiresAt?: number;
  private refreshing?: Promise<void>;

  constructor(opts: EtsyClientOptions) {
    // Retry delays end at shutdown, as limiter waits do.
    this.opts = { ...opts, retry: { ...opts.retry, signal: opts.limiterScope?.signal } };
    this.http = axios.create({ baseURL: opts.baseUrl ?? ETSY_API_URL, timeout: opts.retry?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS });
    this.limiters = new OperationLimiters(etsyLimits, opts.rateLimitPerMinute, opts.limiterScope, opts.accountId);
    // Tokens the worker refreshed itself are newer than the ones in the config.
    const stored = getTokens(opts.db, opts.accountId);
    this.accessToken = stored?.accessToken ?? opts.accessToken;
    this.refreshToken = stored?.refreshToken ?? opts.refreshToken;
    this.expiresAt = stored?.accessTokenExpiresAt ? Date.parse(stored.accessTokenExpiresAt) : undefined;
    registerSecret(opts.sharedSecret);
    registerSecret(this.accessToken);
    registerSecret(this.refreshToken);
  }

  /** The x-api-key value of every application call (the token endpoint takes client_id instead). */
  private get apiKey() {
    return `${this.opts.clientId}:${this.opts.sharedSecret}`;
  }

  /**
   * One API call: limiter, token freshness, one refresh on 401, errors mapped onto the taxonomy.
   * `creates`: the call makes something on Etsy (a tracking upload); it is sent once (`sendOnce`).
   */
  async request<T>(operation: string, config: AxiosRequestConfig, opts: { creates?: boolean } = {}): Promise<T> {
    return withRetry(
      () =>
        this.limiters.schedule('api', async () => {
          await this.ensureFreshToken();
          try {
            return await this.send<T>(config);
          } catch (err) {
            if (err instanceof AxiosError && err.response?.status === 401 && this.refreshToken) {
              await this.refresh('the API answered 401');
              try {
                return await this.send<T>(config);
              } catch (again) {
                throw this.classify(operation, again);
              }
            }
            throw this.classify(operation, err);
          }
        }),
      opts.creates ? sendOnce(this.opts.retry) : this.opts.retry,
    );
  }

  private async send<T>(config: AxiosRequestConfig): Promise<T> {
    const res = await this.http.request<T>({
      ...config,
      headers: { ...config.headers, 'x-api-key': this.apiKey, Authorization: `Bearer ${this.accessToken}` },
    });
    this.followRateHeaders(res.headers as Record<string, string>);
    return res.data;
  }

  /** Slow down before Etsy says 429: when this second's budget is spent, wait for the next. */
  private followRateHeaders(headers: Record<string, string>) {
    const perSecond = Number(headers['x-limit-per-second']);
    if (perSecond > 0) this.limiters.adjustRate('api', perSecond);
    if (headers['x-remaining-this-second'] === '0') void this.limiters.drain('api');
    const today = Number(headers['x-remaining-today']);
    if (Number.isFinite(today) && today < 100) this.opts.log.warn({ remainingToday: today }, 'Etsy daily request budget nearly spent');
  }

  private classify(operation: string, err: unknown): Error {
    if (!(err instanceof AxiosError)) return err as Error;
    const data = err.response?.data as { error?: string; error_description?: string } | undefined;
    const detail = data?.error_description ?? data?.error ?? (typeof data === 'string' ? data : undefined);
    if (err.response?.status === 403 && detail && isApiKeyRefusal(detail)) {
      return new ConfigurationError(
        'etsy',
        `Etsy refused the app's API key on ${operation} (403: ${detail}). Set ETSY_CLIENT_ID to the app's keystring and ETSY_SHARED_SECRET to its shared secret, both on the app's page in Etsy's developer portal ("Your Apps"), then restart`,
        { cause: err },
      );
    }
    return classifyHttpFailure(
      'etsy',
      operation,
      { status: err.response?.status, code: err.code, headers: err.response?.headers as Record<string, string>, detail },
      err,
    );
  }

  private async ensureFreshToken() {
    if (this.expiresAt !== undefined && this.refreshToken && this.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
      await this.refresh('the access token expires soon');
    }
  }

  private refresh(reason: string): Promise<void> {
    this.refreshing ??= this.limiters.countRefresh(this.doRefresh(reason)).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * Another process on this database (a second worker, `ordersync sync`, `backfill`, `doctor`) may
   * have refreshed meanwhile: Etsy rotates the refresh token, so ours would now be refused. Takes
   * the stored tokens when they differ from ours; true when their access token is still good.
   */
  private adoptStoredTokens(): boolean {
    const stored = getTokens(this.opts.db, this.opts.accountId);
    if (!stored?.accessToken || !stored.refreshToken || stored.refreshToken === this.refreshToken) return false;
    this.accessToken = stored.accessToken;
    this.refreshToken = stored.refreshToken;
    this.expiresAt = stored.accessTokenExpiresAt ? Date.parse(stored.accessTokenExpiresAt) : undefined;
    registerSecret(this.accessToken);
    registerSecret(this.refreshToken);
    return this.expiresAt !== undefined && this.expiresAt - Date.now() > REFRESH_MARGIN_MS;
  }

  private async doRefresh(reason: string) {
    if (this.adoptStoredTokens()) return;
    try {
      await this.refreshWithEtsy(reason);
    } catch (err) {
      // Refused because another process used the same refresh token a moment before us: its answer
      // may still be on the way to the database, so look for it for a couple of seconds.
      if (err instanceof AuthError) {
        for (let i = 0; i < RACE_WAIT_STEPS; i++) {
          if (this.adoptStoredTokens()) return;
          await sleep(RACE_WAIT_STEP_MS);
        }
      }
      throw err;
    }
  }

  private async refreshWithEtsy(reason: string) {
    if (!this.refreshToken) throw new AuthError('etsy', 'the access token was refused and no ETSY_REFRESH_TOKEN is configured; re-authorize the app');
    this.opts.log.info({ reason }, 'refreshing the Etsy access token');
    let token: TokenResponse;
    try {
      const res = await this.http.post<TokenResponse>(
        '/v3/public/oauth/token',
        new URLSearchParams({ grant_type: 'refresh_token', client_id: this.opts.clientId, refresh_token: this.refreshToken }),
        { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      );
      token = res.data;
    } catch (err) {
      const status = err instanceof AxiosError ? err.response?.status : undefined;
      const detail = err instanceof AxiosError ? JSON.stringify(err.response?.data ?? err.code) : String(err);
      if (status && status < 500 && status !== 429) {
        throw new AuthError('etsy', `Etsy refused the refresh token (${status}: ${detail}); re-authorize the app and set ETSY_ACCESS_TOKEN/ETSY_REFRESH_TOKEN`, {
          cause: err,
        });
      }
      throw classifyHttpFailure('etsy', 'refreshToken', { status, code: err instanceof AxiosError ? err.code : undefined }, err);
    }
    if (!token?.access_token || !token.refresh_token) throw new AuthError('etsy', 'Etsy answered the token refresh without tokens');
    registerSecret(token.access_token);
    registerSecret(token.refresh_token);
    this.accessToken = token.access_token;
    this.refreshToken = token.refresh_token; // Etsy rotates it: the old one stops working
    this.expiresAt = Date.now() + token.expires_in * 1000;
    // A rotated refresh token must be stored whatever else holds the database: retried, never lost.
    await withWriteRetry(() => saveTokens(this.opts.db, this.opts.accountId, {
      accessToken: this.accessToken,
      refreshToken: this.refreshToken,
      accessTokenExpiresAt: new Date(this.expiresAt!).toISOString(),
    }));
  }

  /** The access token in use: tokenScopes (`ordersync doctor`) takes it in its body. */
  currentAccessToken(): string {
    return this.accessToken;
  }

  async close() {
    await this.limiters.stop();
  }
}
