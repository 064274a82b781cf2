import { AxiosError } from 'axios';
import eBayApi from 'ebay-api';
import type { Logger } from 'pino';
import { getTokens, saveTokens } from '../../db/accounts.ts';
import { withWriteRetry, type Db } from '../../db/connection.ts';
import { AuthError } from '../../src/errors.ts';
import { registerSecret } from '../../src/logger.ts';
import { classifyHttpFailure } from '../http-errors.ts';
import { OperationLimiters, type LimiterScope } from '../limiter.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, sendOnce, withRetry, type RetryOptions } from '../retry.ts';
import { SandboxAgent } from '../sandbox-agent.ts';
import { ebayLimits } from './limits.ts';
import type { EbayTokenResponse } from './wire.ts';

/** Refresh this long before the two-hour user access token runs out. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** The scope the seller consented to; a refresh may ask for no more than that. */
export const EBAY_FULFILLMENT_SCOPE = 'https://api.ebay.com/oauth/api_scope/sell.fulfillment';

export interface EbayClientOptions {
  db: Db;
  log: Logger;
  accountId: string;
  appId: string;
  certId: string;
  devId: string;
  userToken: string;
  refreshToken?: string;
  environment: 'production' | 'sandbox';
  /** Sandbox mode: every eBay host, the identity endpoint included, is reached at this URL. */
  sandboxUrl?: string;
  rateLimitPerMinute?: number;
  retry?: RetryOptions;
  /** Shared (Redis) buckets and the shutdown signal; see OperationLimiters. */
  limiterScope?: LimiterScope;
}

/** What ebay-api throws: its EBayApiError family carries the HTTP answer in `meta.res`. */
interface LibraryError extends Error {
  meta?: { res?: { status?: number; headers?: Record<string, string>; data?: unknown }; errorId?: number; message?: string; longMessage?: string };
  errorCode?: number;
  description?: string;
}

const statusOf = (err: unknown) => (err as LibraryError)?.meta?.res?.status ?? (err instanceof AxiosError ? err.response?.status : undefined);

/**
 * ebay-api (hendt) with one place deciding on retries: the library's own token auto-refresh is
 * off, so a 401 is refreshed here exactly once, through the library's refresh-token grant, and the
 * new access token is kept in SQLite; every call goes through the account's limiter and the
 * shared retry policy, and errors are mapped onto the worker's taxonomy.
 */
export class EbayClient {
  readonly api: eBayApi;
  private readonly limiters: OperationLimiters;
  private readonly opts: EbayClientOptions;
  private readonly agent?: SandboxAgent;
  private expiresAt?: number;
  private refreshing?: Promise<void>;

  constructor(opts: EbayClientOptions) {
    // Retry delays end at shutdown, as limiter waits do.
    this.opts = { ...opts, retry: { ...opts.retry, signal: opts.limiterScope?.signal } };
    this.limiters = new OperationLimiters(ebayLimits, opts.rateLimitPerMinute, opts.limiterScope, opts.accountId);
    this.agent = opts.sandboxUrl ? new SandboxAgent(opts.sandboxUrl) : undefined;
    this.api = new eBayApi({
      appId: opts.appId,
      certId: opts.certId,
      devId: opts.devId,
      sandbox: opts.environment === 'sandbox',
      scope: [EBAY_FULFILLMENT_SCOPE],
      autoRefreshToken: false,
      axiosConfig: { timeout: opts.retry?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, proxy: false, ...(this.agent ? { httpsAgent: this.agent } : {}) },
    });
    // A token the worker refreshed itself is newer than the configured one, as long as it was
    // minted from the same authorization (the operator may have re-authorized since).
    const stored = getTokens(opts.db, opts.accountId);
    const storedIsCurrent = stored?.accessToken && stored.refreshToken === (opts.refreshToken ?? null);
    const accessToken = storedIsCurrent ? stored.accessToken! : opts.userToken;
    if (storedIsCurrent && stored.accessTokenExpiresAt) this.expiresAt = Date.parse(stored.accessTokenExpiresAt);
    this.api.OAuth2.setCredentials({
      access_token: accessToken,
      refresh_token: opts.refreshToken ?? '',
      expires_in: 7200,
      refresh_token_expires_in: 47_304_000,
      token_type: 'User Access Token',
    });
    registerSecret(accessToken);
    registerSecret(opts.userToken);
    registerSecret(opts.refreshToken);
    registerSecret(opts.certId);
  }

  /**
   * One Fulfillment API call: limiter, token freshness, one refresh on 401, mapped errors.
   * `creates`: the call makes something on eBay (a shipping fulfillment); it is sent once (`sendOnce`).
   */
  call<T>(operation: string, fn: (api: eBayApi) => Promise<T>, opts: { creates?: boolean } = {}): Promise<T> {
    return withRetry(
      () =>
        this.limiters.schedule('api', async () => {
          await this.ensureFreshToken();
          try {
            return await fn(this.api);
          } catch (err) {
            if (statusOf(err) === 401 && this.opts.refreshToken) {
              await this.refresh('the API answered 401');
              try {
                return await fn(this.api);
              } catch (again) {
                throw this.classify(operation, again);
              }
            }
            const mapped = this.classify(operation, err);
            if (mapped.name === 'RateLimitedError') void this.limiters.drain('api');
            throw mapped;
          }
        }),
      opts.creates ? sendOnce(this.opts.retry) : this.opts.retry,
    );
  }

  private classify(operation: string, err: unknown): Error {
    const e = err as LibraryError;
    const res = e?.meta?.res;
    if (res) {
      const id = e.errorCode ?? e.meta?.errorId;
      const detail = [id, e.message, e.description].filter((x) => x !== undefined && x !== '').join(': ');
      return classifyHttpFailure('ebay', operation, { status: res.status, headers: res.headers, detail }, err);
    }
    if (err instanceof AxiosError) {
      return classifyHttpFailure('ebay', operation, { status: err.response?.status, code: err.code, detail: err.message }, err);
    }
    return err as Error; // the library refused the call itself: a bug, not worth a retry
  }

  private async ensureFreshToken() {
    if (this.expiresAt !== undefined && this.opts.refreshToken && this.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
      await this.refresh('the access token expires soon');
    }
  }

  private refresh(reason: string): Promise<void> {
    this.refreshing ??= this.limiters.countRefresh(this.doRefresh(reason)).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(reason: string) {
    if (!this.opts.refreshToken) {
      throw new AuthError('ebay', 'the user access token was refused and no EBAY_REFRESH_TOKEN is configured; re-authorize the app and set both tokens');
    }
    this.opts.log.info({ reason }, 'refreshing the eBay user access token');
    let token: EbayTokenResponse;
    try {
      token = (await this.api.OAuth2.refreshUserAccessToken()) as EbayTokenResponse;
    } catch (err) {
      const status = statusOf(err);
      const data = err instanceof AxiosError ? (err.response?.data as { error?: string; error_description?: string } | undefined) : undefined;
      const detail = data?.error ? `${data.error}${data.error_description ? `: ${data.error_description}` : ''}` : (err as Error).message;
      if (status && status < 500 && status !== 429) {
        throw new AuthError('ebay', `eBay refused the refresh token (${status} ${detail}); re-authorize the app and update EBAY_USER_TOKEN / EBAY_REFRESH_TOKEN`, {
          cause: err,
        });
      }
      throw classifyHttpFailure('ebay', 'refreshToken', { status, code: err instanceof AxiosError ? err.code : undefined, detail }, err);
    }
    if (!token?.access_token) throw new AuthError('ebay', 'eBay answered the token refresh without an access token');
    registerSecret(token.access_token);
    this.expiresAt = Date.now() + (token.expires_in ?? 7200) * 1000;
    // eBay does not rotate the refresh token; it is stored to tie this access token to it.
    // A rotated refresh token must be stored whatever else holds the database: retried, never lost.
    await withWriteRetry(() => saveTokens(this.opts.db, this.opts.accountId, {
      accessToken: token.access_token,
      refreshToken: this.opts.refreshToken,
      accessTokenExpiresAt: new Date(this.expiresAt!).toISOString(),
    }));
  }

  /** A new access token now, whatever is stored: `ordersync doctor` proves EBAY_REFRESH_TOKEN with it (eBay does not rotate it). */
  renewAccessToken(): Promise<void> {
    return this.refresh('ordersync doctor');
  }

  async close() {
    await this.limiters.stop();
    this.agent?.destroy();
  }
}
