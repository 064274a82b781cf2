import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtsyAdapter, ETSY_SANDBOX_CREDENTIALS } from '../../adapters/etsy/index.ts';
import type { EtsyReceipt } from '../../adapters/etsy/wire.ts';
import { accountId, getAccount } from '../../db/accounts.ts';
import { orders } from '../../db/schema.ts';
import { ConfigurationError } from '../../src/errors.ts';
import { pollAccount } from '../../jobs/poll.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { assertMatchesSchema } from '../support/spec-schemas.ts';
import { silentLog, tempDatabase } from '../support/env.ts';

const SPEC = 'etsy/etsy-openapi-v3.json';
const SANDBOX_KEY = `${ETSY_SANDBOX_CREDENTIALS.clientId}:${ETSY_SANDBOX_CREDENTIALS.sharedSecret}`;
const SCHEMA_OF: Record<string, string> = {
  'receipts-page-1.json': 'components/schemas/ShopReceipts',
  'receipts-page-2.json': 'components/schemas/ShopReceipts',
  'receipt-shipped.json': 'components/schemas/ShopReceipt',
  'error-403-tracking.json': 'components/schemas/ErrorSchema',
};

describe('Etsy fixtures and sandbox follow the official definition', () => {
  const dir = new URL('../fixtures/etsy/', import.meta.url);
  it.each(readdirSync(dir).filter((f) => f in SCHEMA_OF))('fixture %s matches its schema', (file) => {
    assertMatchesSchema(SPEC, SCHEMA_OF[file]!, JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
  });

  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ seed: 4 });
    sandbox.context.store.add('etsy', 7);
  });
  afterAll(() => sandbox.close());

  it('sandbox receipts match ShopReceipts and flow through the same adapter', async () => {
    const res = await fetch(`${sandbox.url}/v3/application/shops/1000001/receipts?limit=100`, {
      headers: { 'x-api-key': SANDBOX_KEY, authorization: `Bearer ${ETSY_SANDBOX_CREDENTIALS.accessToken}` },
    });
    expect(res.headers.get('x-limit-per-second')).toBe('10');
    const body = await res.json();
    assertMatchesSchema(SPEC, 'components/schemas/ShopReceipts', body);
    // As live Etsy does: statuses capitalised, which the definition (lower case) does not show.
    const statuses = new Set((body as { results: { status: string }[] }).results.map((r) => r.status));
    for (const status of statuses) expect(status).toMatch(/^[A-Z][a-z]+(?: [A-Z][a-z]+)?$/);

    const store = tempDatabase();
    try {
      const adapter = createEtsyAdapter({ db: store.db, log: silentLog(), credentials: ETSY_SANDBOX_CREDENTIALS, baseUrl: sandbox.url, pageSize: 3 });
      const s = await pollAccount({ db: store.db, adapter, log: silentLog() });
      expect(s).toMatchObject({ inserted: 7, quarantined: 0 });
      expect(store.db.select().from(orders).all()).toHaveLength(7);
      await adapter.close?.();
    } finally {
      store.dispose();
    }
  });

  it('sandbox receipts carry the live quirks (escaped text, withheld addresses) and normalize', async () => {
    const own = await startSandbox({ seed: 31 });
    own.context.store.add('etsy', 30);
    const body = (await (await fetch(`${own.url}/v3/application/shops/1000001/receipts?limit=100`, { headers: { 'x-api-key': SANDBOX_KEY, authorization: `Bearer ${ETSY_SANDBOX_CREDENTIALS.accessToken}` } })).json()) as {
      results: EtsyReceipt[];
    };
    await own.close();
    assertMatchesSchema(SPEC, 'components/schemas/ShopReceipts', body);
    const store = tempDatabase();
    try {
      const adapter = createEtsyAdapter({ db: store.db, log: silentLog(), credentials: ETSY_SANDBOX_CREDENTIALS, baseUrl: sandbox.url });
      const withheld = body.results.filter((r) => r.first_line === '');
      expect(withheld.length).toBeGreaterThan(0);
      for (const r of withheld) expect(adapter.normalize(r)).toMatchObject({ addressUnavailable: true, shippingAddress: undefined });
      // Escaped on the wire, as Etsy does; the text the buyer typed once normalized.
      const escapedLine = body.results.flatMap((r) => r.transactions.map((t) => ({ r, t }))).find(({ t }) => t.variations.some((v) => /&(amp|#39|quot);/.test(v.formatted_value)))!;
      expect(escapedLine).toBeDefined();
      const item = adapter.normalize(escapedLine.r).items.find((i) => i.externalLineId === String(escapedLine.t.transaction_id))!;
      expect(item.personalization ?? Object.values(item.variations ?? {}).join()).not.toMatch(/&(amp|#39|quot);/);
      await adapter.close?.();
    } finally {
      store.dispose();
    }
  });

  it('the validator takes live casing of the receipt status only, and still refuses unknown values', () => {
    const receipt = JSON.parse(readFileSync(new URL('../fixtures/etsy/receipt-shipped.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    for (const status of ['Completed', 'completed', 'FULLY REFUNDED']) assertMatchesSchema(SPEC, 'components/schemas/ShopReceipt', { ...receipt, status });
    expect(() => assertMatchesSchema(SPEC, 'components/schemas/ShopReceipt', { ...receipt, status: 'Shipped' })).toThrow(/status/);
  });

  it('sandbox enforces keystring:shared_secret with the 403 bodies Etsy sends', async () => {
    const receipts = (key?: string) =>
      fetch(`${sandbox.url}/v3/application/shops/1000001/receipts?limit=1`, {
        headers: { ...(key !== undefined ? { 'x-api-key': key } : {}), authorization: `Bearer ${ETSY_SANDBOX_CREDENTIALS.accessToken}` },
      });
    const keystringOnly = await receipts(ETSY_SANDBOX_CREDENTIALS.clientId);
    expect(keystringOnly.status).toBe(403);
    expect(await keystringOnly.json()).toEqual({ error: 'Shared secret is required in x-api-key header.' });
    const wrongSecret = await receipts(`${ETSY_SANDBOX_CREDENTIALS.clientId}:not-the-secret`);
    expect(wrongSecret.status).toBe(403);
    expect(await wrongSecret.json()).toEqual({ error: 'API key not found or not active, or incorrect shared secret for API key.' });
    const none = await receipts();
    expect(none.status).toBe(403);
    expect(await none.json()).toEqual({ error: "Invalid API key: should be in the format 'keystring:shared_secret'." });
    expect((await receipts(SANDBOX_KEY)).status).toBe(200);
  });

  it('an adapter without the right shared secret marks the account unhealthy, naming the setting, and retries nothing', async () => {
    const store = tempDatabase();
    const before = sandbox.context.store.calls.filter((c) => c.platform === 'etsy' && c.status === 403).length;
    try {
      const adapter = createEtsyAdapter({
        db: store.db,
        log: silentLog(),
        credentials: { ...ETSY_SANDBOX_CREDENTIALS, sharedSecret: 'stale-secret' },
        baseUrl: sandbox.url,
        retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
      });
      const err = await pollAccount({ db: store.db, adapter, log: silentLog() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as Error).message).toMatch(/ETSY_SHARED_SECRET/);
      const account = getAccount(store.db, accountId('etsy', ETSY_SANDBOX_CREDENTIALS.shopId))!;
      expect(account.healthy).toBe(false);
      expect(account.healthReason).toMatch(/incorrect shared secret.*ETSY_SHARED_SECRET/);
      expect(sandbox.context.store.calls.filter((c) => c.platform === 'etsy' && c.status === 403).length - before).toBe(1);
      await adapter.close?.();
    } finally {
      store.dispose();
    }
  });

  it('sandbox answers 429 with Retry-After past the published rate', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const res = await fetch(`${sandbox.url}/v3/application/shops/1000001/receipts`, {
        headers: { 'x-api-key': SANDBOX_KEY, authorization: `Bearer ${ETSY_SANDBOX_CREDENTIALS.accessToken}` },
      });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });
});
