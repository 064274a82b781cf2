import type { Agent } from 'node:https';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { getTokens, saveTokens } from '../../db/accounts.ts';
import { withWriteRetry, type Db } from '../../db/connection.ts';
import { AuthError, PermanentRemoteError, TransientError } from '../../src/errors.ts';
import { registerSecret } from '../../src/logger.ts';
import { classifyHttpFailure } from '../http-errors.ts';
import { OperationLimiters, type LimiterScope } from '../limiter.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, sendOnce, withRetry, type RetryOptions } from '../retry.ts';
import { amazonLimits, type AmazonOperation } from './limits.ts';
import { SandboxAgent } from '../sandbox-agent.ts';

/** Refresh this long before the LWA access token's hour is up. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const LWA_TOKEN_LIFETIME_MS = 3_600_000;
/** LWA error codes (RFC 6749 §5.2) that mean the credentials themselves are refused. */
const LWA_AUTH_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_request', 'unsupported_grant_type', 'invalid_scope', 'access_denied']);
/** S3 error codes on a download that are worth retrying. */
const DOWNLOAD_TRANSIENT = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable', 'RequestTimeout', 'DOWNLOAD_ERROR']);

interface RawResult {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The slice of amazon-sp-api's SellingPartner the adapter uses (its typings lack confirmShipment). */
interface SellingPartnerApi {
  callAPI(params: Record<string, unknown>): Promise<unknown>;
  refreshAccessToken(): Promise<void>;
  download(details: { url: string; compressionAlgorithm?: string }, options?: { unzip?: boolean }): Promise<unknown>;
  readonly access_token: string | undefined;
}
type SellingPartnerCtor = new (config: Record<string, unknown>) => SellingPartnerApi;
const { SellingPartner } = createRequire(import.meta.url)('amazon-sp-api') as { SellingPartner: SellingPartnerCtor };

export interface AmazonClientOptions {
  db: Db;
  log: Logger;
  accountId: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  region: 'NA' | 'EU' | 'FE';
  /** Sandbox mode: every Amazon host is reached at this URL (see SandboxAgent). */
  sandboxUrl?: string;
  rateLimitPerMinute?: number;
  retry?: RetryOptions;
  /** Shared (Redis) buckets and the shutdown signal; see OperationLimiters. */
  limiterScope?: LimiterScope;
}

export interface AmazonRequest {
  endpoint: 'orders' | 'tokens' | 'sellers';
  version: string;
  path?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
}

interface ErrorBody {
  errors?: { code?: string; message?: string; details?: string }[];
}

const parseJson = (text: string): unknown => {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
};
const header = (headers: RawResult['headers'], name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};
const errorCode = (err: unknown) => (err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : undefined);
/** Node socket errors (ECONNRESET...) and the library's own timeouts (API_RESPONSE_TIMEOUT...). */
const isNetworkCode = (code: string | undefined) => !!code && (/^E[A-Z]+/.test(code) || code.startsWith('UND_') || /^API_\w+_TIMEOUT$/.test(code));

/**
 * amazon-sp-api with one place deciding on retries: the library's own throttle, timeout and token
 * retries are off and results come back raw, so status, headers and body reach our limiter, the
 * shared retry policy and the error taxonomy. The library still talks to LWA (refreshAccessToken);
 * the access token it gets is kept in SQLite so a restart does not spend a token request.
 */
export class AmazonClient {
  private readonly sp: SellingPartnerApi;
  private readonly limiters: OperationLimiters;
  private readonly limits = amazonLimits();
  private readonly opts: AmazonClientOptions;
  private readonly agent?: Agent;
  private expiresAt = 0;
  private refreshing?: Promise<void>;

  constructor(opts: AmazonClientOptions) {
    // Retry delays end at shutdown, as limiter waits do.
    this.opts = { ...opts, retry: { ...opts.retry, signal: opts.limiterScope?.signal } };
    this.limiters = new OperationLimiters(this.limits, opts.rateLimitPerMinute, opts.limiterScope, opts.accountId);
    this.agent = opts.sandboxUrl ? new SandboxAgent(opts.sandboxUrl) : undefined;
    const stored = getTokens(opts.db, opts.accountId);
    const storedExpiry = stored?.accessTokenExpiresAt ? Date.parse(stored.accessTokenExpiresAt) : 0;
    const accessToken = stored?.accessToken && storedExpiry - Date.now() > REFRESH_MARGIN_MS ? stored.accessToken : undefined;
    if (accessToken) this.expiresAt = storedExpiry;
    registerSecret(opts.refreshToken);
    registerSecret(opts.clientSecret);
    registerSecret(accessToken);
    this.sp = new SellingPartner({
      region: opts.region.toLowerCase(),
      refresh_token: opts.refreshToken,
      access_token: accessToken,
      credentials: { SELLING_PARTNER_APP_CLIENT_ID: opts.clientId, SELLING_PARTNER_APP_CLIENT_SECRET: opts.clientSecret },
      options: {
        auto_request_tokens: false,
        auto_request_throttled: false,
        retry_remote_timeout: false,
        version_fallback: false,
        timeouts: {
          response: opts.retry?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
          idle: opts.retry?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
          deadline: 4 * (opts.retry?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
        },
        ...(this.agent ? { https_proxy_agent: this.agent } : {}),
      },
    });
  }

  /**
   * One SP-API operation: limiter, fresh token (refreshed once more on a token 403), mapped errors.
   * `creates`: the call makes something at Amazon (a shipment confirmation); it is sent once (`sendOnce`).
   */
  call<T>(operation: AmazonOperation, req: AmazonRequest, opts: { creates?: boolean } = {}): Promise<T> {
    return withRetry(
      () =>
        this.limiters.schedule(operation, async () => {
          await this.ensureToken();
          let res = await this.send(operation, req);
          if (this.tokenRefused(res)) {
            await this.refresh('Amazon refused the access token');
            res = await this.send(operation, req);
          }
          this.followRateHeader(operation, res.headers);
          if (res.statusCode >= 200 && res.statusCode < 300) return (res.statusCode === 204 ? undefined : parseJson(res.body)) as T;
          throw this.classify(operation, res);
        }),
      // The wait after a 429 is withRetry's (as long as Amazon's rate says); our bucket is not
      // drained on top, as Amazon serves each operation one caller at a time here anyway.
      opts.creates ? sendOnce(this.opts.retry) : this.opts.retry,
    );
  }

  /** A file on an Amazon download host (the Amazon Custom ZIPs), as bytes. */
  download(url: string): Promise<Buffer> {
    return withRetry(
      () =>
        this.limiters.schedule('downloadCustomization', async () => {
          try {
            // download() decodes bodies to text unless it believes the file is compressed and is
            // told not to unzip: that is the only way to get a binary ZIP back intact.
            const body = await this.sp.download({ url, compressionAlgorithm: 'GZIP' }, { unzip: false });
            if (!Buffer.isBuffer(body)) throw new PermanentRemoteError('the download did not return a file');
            return body;
          } catch (err) {
            const code = errorCode(err);
            if (err instanceof PermanentRemoteError) throw err;
            const message = `downloading ${new URL(url).host} failed (${code ?? 'error'}: ${(err as Error).message})`;
            if (isNetworkCode(code) || DOWNLOAD_TRANSIENT.has(code ?? '')) throw new TransientError(message, { cause: err });
            throw new PermanentRemoteError(message, { cause: err });
          }
        }),
      this.opts.retry,
    );
  }

  private async send(operation: AmazonOperation, req: AmazonRequest): Promise<RawResult> {
    try {
      return (await this.sp.callAPI({
        operation,
        endpoint: req.endpoint,
        path: req.path && { ...req.path }, // the library encodes path values in place
        query: req.query,
        body: req.body,
        options: { version: req.version, raw_result: true },
      })) as RawResult;
    } catch (err) {
      const code = errorCode(err);
      if (isNetworkCode(code)) throw classifyHttpFailure('amazon', operation, { code }, err);
      throw err; // the library refused the request itself (bad parameters): a bug, not worth a retry
    }
  }

  private tokenRefused(res: RawResult): boolean {
    if (res.statusCode !== 403) return false;
    const error = (parseJson(res.body) as ErrorBody | undefined)?.errors?.[0];
    return error?.code === 'Unauthorized' && /access token/i.test(error.details ?? '');
  }

  private followRateHeader(operation: AmazonOperation, headers: RawResult['headers']) {
    const live = Number(header(headers, 'x-amzn-ratelimit-limit'));
    if (live > 0) this.limiters.adjustRate(operation, live);
  }

  private classify(operation: AmazonOperation, res: RawResult): Error {
    const errors = (parseJson(res.body) as ErrorBody | undefined)?.errors ?? [];
    const detail = errors.map((e) => [e.code, e.message, e.details].filter(Boolean).join(': ')).join('; ') || res.body.slice(0, 300) || undefined;
    const headers = { ...res.headers };
    if (res.statusCode === 429 && !header(headers, 'retry-after')) {
      // Amazon's 429 carries no Retry-After: one token comes back after 1/rate seconds, the rate
      // being the live one in x-amzn-RateLimit-Limit when sent, else the operation's usage plan.
      const live = Number(header(headers, 'x-amzn-ratelimit-limit'));
      const rate = live > 0 ? live : this.limits[operation]!.ratePerSecond;
      headers['retry-after'] = String(1 / rate);
    }
    return classifyHttpFailure('amazon', operation, { status: res.statusCode, headers, detail }, new Error(res.body.slice(0, 1000)));
  }

  private async ensureToken() {
    if (!this.sp.access_token || this.expiresAt - Date.now() < REFRESH_MARGIN_MS) await this.refresh('no fresh access token');
  }

  private refresh(reason: string): Promise<void> {
    this.refreshing ??= this.limiters.countRefresh(this.doRefresh(reason)).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(reason: string) {
    this.opts.log.debug({ reason }, 'requesting an Amazon LWA access token');
    try {
      await this.sp.refreshAccessToken();
    } catch (err) {
      const code = errorCode(err);
      if (code && LWA_AUTH_ERRORS.has(code)) {
        throw new AuthError(
          'amazon',
          `Amazon (LWA) refused the credentials (${code}: ${(err as Error).message}); re-authorize the app in Seller Central and update AMAZON_REFRESH_TOKEN / AMAZON_CLIENT_ID / AMAZON_CLIENT_SECRET`,
          { cause: err },
        );
      }
      if (isNetworkCode(code)) throw classifyHttpFailure('amazon', 'LWA token', { code }, err);
      throw new TransientError(`Amazon LWA token request failed (${code ?? 'error'}: ${String((err as Error).message).slice(0, 300)})`, { cause: err });
    }
    const token = this.sp.access_token;
    if (!token) throw new TransientError('Amazon LWA answered without an access token');
    registerSecret(token);
    this.expiresAt = Date.now() + LWA_TOKEN_LIFETIME_MS;
    await withWriteRetry(() => saveTokens(this.opts.db, this.opts.accountId, { accessToken: token, accessTokenExpiresAt: new Date(this.expiresAt!).toISOString() }));
  }

  /** A new LWA access token now, whatever is stored: `ordersync doctor` proves the refresh credentials with it. */
  renewAccessToken(): Promise<void> {
    return this.refresh('ordersync doctor');
  }

  async close() {
    await this.limiters.stop();
    this.agent?.destroy();
  }
}
