import { isIP, isIPv4, isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * Every setting of the worker, validated once at start. Each variable is mirrored in `.env.example`
 * and in the README's configuration table; keep the three in step.
 */

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

/** "5m", "90s", "1h", "300000" (milliseconds) -> milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return Math.round(n * factor);
}

const duration = (fallback: string, min: number, max: number) =>
  z.preprocess(
    (v) => emptyToUndefined(v) ?? fallback,
    z.string().transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms < min || ms > max) {
        ctx.addIssue({ code: 'custom', message: `must be a duration from ${formatMs(min)} to ${formatMs(max)} (e.g. 90s, 5m, 1h)` });
        return z.NEVER;
      }
      return ms;
    }),
  );

const formatMs = (ms: number) => (ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

const EMAIL = /^[^\s@<>,]+@[^\s@<>,]+$/;
const isHttpUrl = (text: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
};

const intFrom = (fallback: number, min: number, max: number) =>
  z.preprocess((v) => emptyToUndefined(v) ?? String(fallback), z.coerce.number().int().min(min).max(max));

export const envSchema = z.object({
  // Amazon SP-API
  AMAZON_SELLER_ID: optionalString,
  AMAZON_REFRESH_TOKEN: optionalString,
  AMAZON_CLIENT_ID: optionalString,
  AMAZON_CLIENT_SECRET: optionalString,
  AMAZON_REGION: z.preprocess((v) => emptyToUndefined(v) ?? 'NA', z.enum(['NA', 'EU', 'FE'])),
  AMAZON_MARKETPLACE_IDS: z.preprocess(
    (v) => emptyToUndefined(v) ?? 'ATVPDKIKX0DER',
    z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
  ),
  AMAZON_LATE_ORDER_WINDOW: duration('24h', 60_000, 30 * 86_400_000),
  // eBay
  EBAY_APP_ID: optionalString,
  EBAY_DEV_ID: optionalString,
  EBAY_CERT_ID: optionalString,
  EBAY_USER_TOKEN: optionalString,
  EBAY_REFRESH_TOKEN: optionalString,
  EBAY_ENVIRONMENT: z.preprocess((v) => emptyToUndefined(v) ?? 'production', z.enum(['production', 'sandbox'])),
  EBAY_US_USERNAMES_REPLACED: z.preprocess(
    (v) => emptyToUndefined(v) ?? 'false',
    z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true'),
  ),
  EBAY_SELLER_ID: z.preprocess((v) => emptyToUndefined(v) ?? 'default', z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, dot, dash or underscore')),
  // Etsy
  ETSY_CLIENT_ID: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^[^:\s]+$/, 'is the keystring alone: put the part after the colon in ETSY_SHARED_SECRET').optional(),
  ),
  ETSY_SHARED_SECRET: optionalString,
  ETSY_ACCESS_TOKEN: optionalString,
  ETSY_SHOP_ID: z.preprocess(emptyToUndefined, z.string().regex(/^\d+$/, 'must be the numeric shop id').optional()),
  ETSY_REFRESH_TOKEN: optionalString,
  // Shared API behaviour
  MARKETPLACE_API_RATE_LIMIT: intFrom(100, 1, 100_000),
  MARKETPLACE_CACHE_TTL: intFrom(300, 0, 86_400),
  // Sandbox: an explicit URL of a running sandbox; when unset and no platform has credentials,
  // the worker starts the built-in sandbox in-process.
  SANDBOX_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).optional()),
  // Sandbox only: multiplies every published rate limit, to match a sandbox run with --rate-scale.
  SANDBOX_RATE_SCALE: z.preprocess((v) => emptyToUndefined(v) ?? '1', z.coerce.number().positive().max(1_000_000)),
  // Infrastructure
  REDIS_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^rediss?$/ }).optional()),
  REDIS_PREFIX: z.preprocess((v) => emptyToUndefined(v) ?? 'osw', z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')),
  DATA_DIR: z.preprocess((v) => emptyToUndefined(v) ?? './data', z.string()),
  DATABASE_PATH: optionalString,
  // Data at rest: the AES-256 key sealing buyers' personal data and tokens (64 hex digits or base64 of
  // 32 bytes); unset: a key file created on first start. DATA_KEY_PREVIOUS: older keys during a rotation.
  DATA_KEY: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'must be 32 random bytes as 64 hex digits or base64 (openssl rand -base64 32)').optional(),
  ),
  DATA_KEY_PREVIOUS: z.preprocess(
    (v) => emptyToUndefined(v) ?? '',
    z
      .string()
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
      .refine((keys) => keys.every((k) => /^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/.test(k)), 'each key must be 64 hex digits or base64 of 32 bytes'),
  ),
  DATA_KEY_FILE: optionalString,
  PII_RETENTION_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(36_500).optional()),
  POLL_INTERVAL: duration('5m', 1_000, 86_400_000),
  HTTP_HOST: z.preprocess((v) => emptyToUndefined(v) ?? '127.0.0.1', z.string().regex(/^[A-Za-z0-9.:-]+$/, 'must be an IP address or a host name')),
  HTTP_PORT: intFrom(3000, 1, 65_535),
  HTTP_ALLOWED_HOSTS: z.preprocess(
    (v) => emptyToUndefined(v) ?? '',
    z.string().transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)),
  ),
  // The reverse proxies whose X-Forwarded-For is believed (fastify's trustProxy): addresses or CIDRs.
  HTTP_TRUST_PROXY: z.preprocess(
    (v) => emptyToUndefined(v) ?? '',
    z
      .string()
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
      .refine((list) => list.every((x) => isIP(x.split('/')[0]!) !== 0), 'must be IP addresses or CIDR ranges, comma-separated'),
  ),
  ADMIN_USER: optionalString,
  ADMIN_PASSWORD: optionalString,
  LOG_LEVEL: z.preprocess(
    (v) => emptyToUndefined(v) ?? 'info',
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  ),
  SHUTDOWN_TIMEOUT: duration('30s', 100, 10 * 60_000),
  PRODUCTION_RULES: optionalString,
  // Alerts (jobs/alerts): webhooks signed with ALERT_WEBHOOK_SECRET, and/or e-mail over SMTP_URL.
  ALERT_WEBHOOK_URLS: z.preprocess(
    (v) => emptyToUndefined(v) ?? '',
    z
      .string()
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
      .refine((list) => list.every(isHttpUrl), 'must be http:// or https:// URLs, comma-separated'),
  ),
  ALERT_WEBHOOK_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters (openssl rand -hex 32)').optional()),
  ALERT_WEBHOOK_FORMAT: z.preprocess((v) => emptyToUndefined(v) ?? 'json', z.enum(['json', 'slack'])),
  SMTP_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^smtps?$/, message: 'must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587' }).optional()),
  ALERT_EMAIL_TO: z.preprocess(
    (v) => emptyToUndefined(v) ?? '',
    z
      .string()
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
      .refine((list) => list.every((a) => EMAIL.test(a)), 'must be e-mail addresses, comma-separated'),
  ),
  ALERT_EMAIL_FROM: z.preprocess(emptyToUndefined, z.string().regex(/^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'must be an address, or Name <address>').optional()),
});

type Env = z.infer<typeof envSchema>;

const PLATFORM_VARS = {
  amazon: ['AMAZON_SELLER_ID', 'AMAZON_REFRESH_TOKEN', 'AMAZON_CLIENT_ID', 'AMAZON_CLIENT_SECRET'],
  ebay: ['EBAY_APP_ID', 'EBAY_DEV_ID', 'EBAY_CERT_ID', 'EBAY_USER_TOKEN'],
  etsy: ['ETSY_CLIENT_ID', 'ETSY_SHARED_SECRET', 'ETSY_ACCESS_TOKEN', 'ETSY_SHOP_ID'],
} as const satisfies Record<string, readonly (keyof Env)[]>;

export type PlatformName = keyof typeof PLATFORM_VARS;
export const PLATFORMS = Object.keys(PLATFORM_VARS) as PlatformName[];

const EXAMPLES: Partial<Record<keyof Env, string>> = {
  AMAZON_SELLER_ID: 'A2EXAMPLE1SELLER',
  AMAZON_REFRESH_TOKEN: 'Atzr|IwEBI...',
  AMAZON_CLIENT_ID: 'amzn1.application-oa2-client.abc123',
  AMAZON_CLIENT_SECRET: 'amzn1.oa2-cs.v1.abc123',
  AMAZON_REGION: 'NA',
  AMAZON_MARKETPLACE_IDS: 'ATVPDKIKX0DER,A2EUQ1WTGCTBG2',
  AMAZON_LATE_ORDER_WINDOW: '24h',
  EBAY_APP_ID: 'PrintSho-ordersyn-PRD-1a2b3c4d5-6e7f8a9b',
  EBAY_DEV_ID: '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
  EBAY_CERT_ID: 'PRD-a1b2c3d4e5f6-7a8b-9c0d-1e2f-3a4b',
  EBAY_USER_TOKEN: 'v^1.1#i^1#p^3#...',
  EBAY_ENVIRONMENT: 'production',
  EBAY_SELLER_ID: 'printshop_uk',
  EBAY_US_USERNAMES_REPLACED: 'false',
  ETSY_CLIENT_ID: '1aa2bb33c44d55eeeeee6fff',
  ETSY_SHARED_SECRET: 'abc1de2fgh',
  ETSY_ACCESS_TOKEN: '12345678.abcDEF...',
  ETSY_SHOP_ID: '12345678',
  MARKETPLACE_API_RATE_LIMIT: '100',
  MARKETPLACE_CACHE_TTL: '300',
  SANDBOX_URL: 'http://127.0.0.1:4010',
  SANDBOX_RATE_SCALE: '100',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  REDIS_PREFIX: 'osw',
  POLL_INTERVAL: '5m',
  HTTP_PORT: '3000',
  HTTP_ALLOWED_HOSTS: 'orders.printshop.lan,192.168.1.20',
  HTTP_TRUST_PROXY: '127.0.0.1',
  ADMIN_PASSWORD: 'a long passphrase, 12+ characters',
  LOG_LEVEL: 'info',
  SHUTDOWN_TIMEOUT: '30s',
  DATA_KEY: 'output of: openssl rand -base64 32',
  PII_RETENTION_DAYS: '90',
  ALERT_WEBHOOK_URLS: 'https://ops.printshop.lan/hooks/orders,https://hooks.slack.com/services/T000/B000/XXXX',
  ALERT_WEBHOOK_SECRET: 'output of: openssl rand -hex 32',
  ALERT_WEBHOOK_FORMAT: 'json',
  SMTP_URL: 'smtp://alerts%40printshop.example:app-password@smtp.example.com:587',
  ALERT_EMAIL_TO: 'owner@printshop.example,workshop@printshop.example',
  ALERT_EMAIL_FROM: 'Order sync <alerts@printshop.example>',
};

/** Where a user finds a credential, added to the problem when it is missing. */
const WHERE_TO_FIND: Partial<Record<keyof Env, string>> = {
  ETSY_CLIENT_ID: 'the keystring on your app\'s page in Etsy\'s developer portal ("Your Apps")',
  ETSY_SHARED_SECRET:
    'the "Shared secret" next to the keystring on your app\'s page in Etsy\'s developer portal ("Your Apps"); Etsy refuses every call without it since 2026-02-09',
};

export interface ConfigProblem {
  variable: string;
  problem: string;
  example?: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(
      `Configuration has ${problems.length} problem(s):\n` +
        problems
          .map((p) => `  - ${p.variable}: ${p.problem}${p.example ? ` (for example ${p.variable}=${p.example})` : ''}`)
          .join('\n') +
        '\nSee .env.example and the README configuration table.',
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface AmazonCredentials {
  sellerId: string;
  refreshToken: string;
  clientId: string;
  clientSecret: string;
  region: 'NA' | 'EU' | 'FE';
  marketplaceIds: string[];
  lateOrderWindowMs: number;
}
export interface EbayCredentials {
  appId: string;
  devId: string;
  certId: string;
  userToken: string;
  refreshToken?: string;
  environment: 'production' | 'sandbox';
  /** Names the account in the database and logs (eBay's API does not tell a token's seller). */
  sellerId: string;
  /**
   * eBay sends U.S. buyers' immutable user ids instead of their user names to developers in some
   * regions since 2025-09-26; nothing in the id tells it from a name, so the shop says so here.
   */
  usUsernamesReplaced?: boolean;
}
export interface EtsyCredentials {
  /** The app's keystring. */
  clientId: string;
  /** The app's shared secret: Etsy wants `x-api-key: keystring:shared_secret` since 2026-02-09. */
  sharedSecret: string;
  accessToken: string;
  shopId: string;
  refreshToken?: string;
}

export interface Config {
  platforms: { amazon?: AmazonCredentials; ebay?: EbayCredentials; etsy?: EtsyCredentials };
  /** True when no platform has credentials: the worker runs against the marketplace sandbox. */
  sandboxMode: boolean;
  sandboxUrl?: string;
  /** Sandbox mode only: every published rate limit times this (1 otherwise). */
  sandboxRateScale: number;
  rateLimitPerMinute: number;
  cacheTtlSeconds: number;
  redisUrl?: string;
  redisPrefix: string;
  dataDir: string;
  databasePath: string;
  /** The data key (DATA_KEY), older keys (DATA_KEY_PREVIOUS), or the key file used when DATA_KEY is unset. */
  dataKey?: string;
  dataKeyPrevious: string[];
  dataKeyFile: string;
  /** Shipped or cancelled orders' personal data is purged after this many days (unset: kept). */
  piiRetentionDays?: number;
  pollIntervalMs: number;
  http: { host: string; port: number; allowedHosts: string[]; trustProxy: string[]; adminUser?: string; adminPassword?: string };
  logLevel: Env['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  productionRulesPath?: string;
  alerts: AlertSettings;
}

export interface AlertSettings {
  webhookUrls: string[];
  /** HMAC-SHA256 key of the X-Signature header; set whenever webhookUrls is. */
  webhookSecret?: string;
  /** json: the alert as JSON; slack: `{"text": ...}`, which Slack and Discord (its /slack URL) take. */
  webhookFormat: 'json' | 'slack';
  smtpUrl?: string;
  emailTo: string[];
  emailFrom: string;
}

/** Loopback decided on the parsed address: 127.0.0.0/8, ::1 (also IPv4-mapped), or the name localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.split('.')[0] === '127';
  if (isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** A password an attacker on the network cannot guess quickly: 12 characters, not the user name. */
const MIN_PASSWORD_LENGTH = 12;

/** The setting values that are secrets (and only those): scrubbed from every log line. */
export function configSecrets(c: Config): string[] {
  const { amazon, ebay, etsy } = c.platforms;
  return [
    amazon?.refreshToken,
    amazon?.clientSecret,
    ebay?.certId,
    ebay?.userToken,
    ebay?.refreshToken,
    etsy?.clientId,
    etsy?.sharedSecret,
    etsy?.accessToken,
    etsy?.refreshToken,
    c.http.adminPassword,
    c.dataKey,
    ...c.dataKeyPrevious,
    c.alerts.webhookSecret,
    // Slack and Discord webhook URLs are credentials themselves (anyone holding one can post).
    ...c.alerts.webhookUrls,
    c.alerts.smtpUrl,
    smtpPassword(c.alerts.smtpUrl),
  ].filter((v): v is string => typeof v === 'string' && v.length > 0);
}

function smtpPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** Validates the environment; throws one ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems: ConfigProblem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? '(environment)');
      problems.push({ variable, problem: issue.message, example: EXAMPLES[variable as keyof Env] });
    }
  }
  const e = parsed.success ? parsed.data : undefined;

  // A platform is enabled by complete credentials; a half-filled one is a mistake worth stopping for.
  for (const [platform, vars] of Object.entries(PLATFORM_VARS)) {
    const set = vars.filter((v) => emptyToUndefined(env[v]) !== undefined);
    if (set.length > 0 && set.length < vars.length) {
      for (const v of vars.filter((x) => !set.includes(x))) {
        const where = WHERE_TO_FIND[v] ? `; find it as ${WHERE_TO_FIND[v]}` : '';
        problems.push({
          variable: v,
          problem: `is missing while ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set: ${platform} needs all of ${vars.join(', ')}${where}`,
          example: EXAMPLES[v],
        });
      }
    }
  }
  if (e) {
    if ((e.ADMIN_USER === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
      const missing = e.ADMIN_USER === undefined ? 'ADMIN_USER' : 'ADMIN_PASSWORD';
      problems.push({ variable: missing, problem: 'ADMIN_USER and ADMIN_PASSWORD go together', example: 'ops' });
    }
    // Exposed: bound beyond loopback, or reached through a proxy under another name (HTTP_ALLOWED_HOSTS).
    const outsideNames = e.HTTP_ALLOWED_HOSTS.filter((h) => !isLoopback(h));
    const exposedAs = !isLoopback(e.HTTP_HOST) ? `HTTP_HOST is ${e.HTTP_HOST}` : outsideNames.length ? `HTTP_ALLOWED_HOSTS names ${outsideNames.join(', ')}` : undefined;
    if (exposedAs && (e.ADMIN_USER === undefined || e.ADMIN_PASSWORD === undefined)) {
      problems.push({
        variable: !isLoopback(e.HTTP_HOST) ? 'HTTP_HOST' : 'HTTP_ALLOWED_HOSTS',
        problem: `${exposedAs}, so the ops server is reachable from outside this machine: set ADMIN_USER and ADMIN_PASSWORD first`,
        example: '127.0.0.1',
      });
    }
    if (exposedAs && e.ADMIN_PASSWORD !== undefined && (e.ADMIN_PASSWORD.length < MIN_PASSWORD_LENGTH || e.ADMIN_PASSWORD === e.ADMIN_USER)) {
      problems.push({
        variable: 'ADMIN_PASSWORD',
        problem: `is too weak for a server reachable from outside (${exposedAs}): use at least ${MIN_PASSWORD_LENGTH} characters, not the user name`,
        example: EXAMPLES.ADMIN_PASSWORD,
      });
    }
    if (e.ALERT_WEBHOOK_URLS.length > 0 && e.ALERT_WEBHOOK_SECRET === undefined) {
      problems.push({ variable: 'ALERT_WEBHOOK_SECRET', problem: 'is required with ALERT_WEBHOOK_URLS: receivers check the X-Signature header with it', example: EXAMPLES.ALERT_WEBHOOK_SECRET });
    }
    if (e.SMTP_URL !== undefined && e.ALERT_EMAIL_TO.length === 0) {
      problems.push({ variable: 'ALERT_EMAIL_TO', problem: 'is required with SMTP_URL: name who gets the alert e-mails', example: EXAMPLES.ALERT_EMAIL_TO });
    }
    if (e.SMTP_URL === undefined && e.ALERT_EMAIL_TO.length > 0) {
      problems.push({ variable: 'SMTP_URL', problem: 'is required with ALERT_EMAIL_TO: the mail server alerts are sent through', example: EXAMPLES.SMTP_URL });
    }
  }
  if (problems.length > 0 || !e) throw new ConfigError(problems);

  const complete = (p: PlatformName) => PLATFORM_VARS[p].every((v) => e[v] !== undefined);
  const platforms: Config['platforms'] = {};
  if (complete('amazon')) {
    platforms.amazon = {
      sellerId: e.AMAZON_SELLER_ID!,
      refreshToken: e.AMAZON_REFRESH_TOKEN!,
      clientId: e.AMAZON_CLIENT_ID!,
      clientSecret: e.AMAZON_CLIENT_SECRET!,
      region: e.AMAZON_REGION,
      marketplaceIds: e.AMAZON_MARKETPLACE_IDS,
      lateOrderWindowMs: e.AMAZON_LATE_ORDER_WINDOW,
    };
  }
  if (complete('ebay')) {
    platforms.ebay = {
      appId: e.EBAY_APP_ID!,
      devId: e.EBAY_DEV_ID!,
      certId: e.EBAY_CERT_ID!,
      userToken: e.EBAY_USER_TOKEN!,
      refreshToken: e.EBAY_REFRESH_TOKEN,
      environment: e.EBAY_ENVIRONMENT,
      sellerId: e.EBAY_SELLER_ID,
      usUsernamesReplaced: e.EBAY_US_USERNAMES_REPLACED,
    };
  }
  if (complete('etsy')) {
    platforms.etsy = {
      clientId: e.ETSY_CLIENT_ID!,
      sharedSecret: e.ETSY_SHARED_SECRET!,
      accessToken: e.ETSY_ACCESS_TOKEN!,
      shopId: e.ETSY_SHOP_ID!,
      refreshToken: e.ETSY_REFRESH_TOKEN,
    };
  }
  const sandboxMode = Object.keys(platforms).length === 0;
  if (!sandboxMode && e.SANDBOX_RATE_SCALE !== 1) {
    throw new ConfigError([
      { variable: 'SANDBOX_RATE_SCALE', problem: 'only applies in sandbox mode (no marketplace credentials); real accounts always run at their published limits', example: '1' },
    ]);
  }
  return {
    platforms,
    sandboxMode,
    sandboxUrl: e.SANDBOX_URL,
    sandboxRateScale: e.SANDBOX_RATE_SCALE,
    rateLimitPerMinute: e.MARKETPLACE_API_RATE_LIMIT,
    cacheTtlSeconds: e.MARKETPLACE_CACHE_TTL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    dataDir: e.DATA_DIR,
    databasePath: e.DATABASE_PATH ?? `${e.DATA_DIR}/orders.sqlite`,
    dataKey: e.DATA_KEY,
    dataKeyPrevious: e.DATA_KEY_PREVIOUS,
    dataKeyFile: e.DATA_KEY_FILE ?? `${e.DATA_DIR}/data.key`,
    piiRetentionDays: e.PII_RETENTION_DAYS,
    pollIntervalMs: e.POLL_INTERVAL,
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT, allowedHosts: e.HTTP_ALLOWED_HOSTS, trustProxy: e.HTTP_TRUST_PROXY, adminUser: e.ADMIN_USER, adminPassword: e.ADMIN_PASSWORD },
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
    productionRulesPath: e.PRODUCTION_RULES,
    alerts: {
      webhookUrls: e.ALERT_WEBHOOK_URLS,
      webhookSecret: e.ALERT_WEBHOOK_SECRET,
      webhookFormat: e.ALERT_WEBHOOK_FORMAT,
      smtpUrl: e.SMTP_URL,
      emailTo: e.ALERT_EMAIL_TO,
      emailFrom: e.ALERT_EMAIL_FROM ?? `order-sync-worker@${hostname()}`,
    },
  };
}
