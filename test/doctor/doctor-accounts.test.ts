import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AMAZON_SANDBOX_CREDENTIALS } from '../../adapters/amazon/index.ts';
import { EBAY_SANDBOX_CREDENTIALS } from '../../adapters/ebay/index.ts';
import { ETSY_SANDBOX_CREDENTIALS } from '../../adapters/etsy/index.ts';
import { exitCodeOf, formatReport, type DoctorCheck } from '../../src/commands/doctor/check.ts';
import { runDoctor } from '../../src/commands/doctor/run.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { redisPrefix, tempDir } from '../support/env.ts';
import { adaptersAt, finding, goodEnv } from './support.ts';

const AMAZON = `amazon ${AMAZON_SANDBOX_CREDENTIALS.sellerId}`;
const EBAY = `ebay ${EBAY_SANDBOX_CREDENTIALS.sellerId}`;
const ETSY = `etsy ${ETSY_SANDBOX_CREDENTIALS.shopId}`;

const redis = redisPrefix();
let sandbox: Sandbox;
let dir: ReturnType<typeof tempDir>;

// A sandbox per test: Etsy rotates its refresh token on every refresh, as the live API does.
beforeEach(async () => {
  sandbox = await startSandbox({ seed: 15, initialOrders: 3 });
  dir = tempDir('osw-doctor-');
});
afterEach(async () => {
  await sandbox.close();
  dir.remove();
});

const doctor = (env: NodeJS.ProcessEnv = {}) => runDoctor({ env: { ...goodEnv(dir.path, redis.prefix), ...env }, adapters: adaptersAt(sandbox.url) });
const inject = (fault: Record<string, unknown>) => sandbox.app.inject({ method: 'POST', url: '/__sandbox/faults', payload: fault });
const accountChecks = (checks: DoctorCheck[], area: string) => checks.filter((c) => c.area === area);

describe('ordersync doctor: every account against the sandbox', () => {
  it('passes every check with good credentials of each platform, and exits 0', async () => {
    const checks = await doctor();
    expect(checks.filter((c) => c.status === 'fail' || c.status === 'warn'), formatReport(checks)).toEqual([]);
    expect(accountChecks(checks, AMAZON).map((c) => c.name)).toEqual(['LWA token', 'marketplaces', 'orders', 'buyer and address data']);
    expect(accountChecks(checks, EBAY).map((c) => c.name)).toEqual(['token refresh', 'orders (sell.fulfillment)']);
    expect(accountChecks(checks, ETSY).map((c) => c.name)).toEqual(['app key and shop', 'token and receipts', 'token scopes']);
    expect(checks.filter((c) => c.area.includes(' ')).every((c) => c.status === 'pass')).toBe(true);
    expect(exitCodeOf(checks)).toBe(0);
    // Each call the checks make is one the sandbox answered as the live API does.
    const ops = sandbox.context.store.calls.map((c) => `${c.platform} ${c.operation} ${c.status}`);
    expect(ops).toEqual(
      expect.arrayContaining([
        'amazon lwaToken 200',
        'amazon getMarketplaceParticipations 200',
        'amazon searchOrders 200',
        'amazon createRestrictedDataToken 200',
        'ebay refreshToken 200',
        'ebay getOrders 200',
        'etsy getShop 200',
        'etsy getShopReceipts 200',
        'etsy tokenScopes 200',
      ]),
    );
  });

  it('fails Etsy with a wrong shared secret, naming where to find the right one; the other accounts still pass', async () => {
    const checks = await doctor({ ETSY_SHARED_SECRET: 'not-the-secret' });
    const key = finding(checks, ETSY, 'app key and shop');
    expect(key.status).toBe('fail');
    expect(key.detail).toMatch(/incorrect shared secret/);
    expect(key.fix).toContain('add the shared secret from Your Apps (https://www.etsy.com/developers/your-apps)');
    expect(accountChecks(checks, ETSY)).toHaveLength(1); // nothing else is asked with a refused key
    expect(accountChecks(checks, AMAZON).every((c) => c.status === 'pass')).toBe(true);
    expect(exitCodeOf(checks)).toBe(1);
    expect(formatReport(checks)).toMatch(/FAIL {2}etsy 1000001: app key and shop +.*\n {6}fix: add the shared secret from Your Apps/);
  });

  it('fails Etsy with an unknown shop id', async () => {
    const check = finding(await doctor({ ETSY_SHOP_ID: '99999' }), 'etsy 99999', 'app key and shop');
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/ETSY_SHOP_ID/);
  });

  it('fails Etsy when the token was refused and the refresh token is wrong', async () => {
    const check = finding(await doctor({ ETSY_ACCESS_TOKEN: 'expired', ETSY_REFRESH_TOKEN: 'wrong' }), ETSY, 'token and receipts');
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/re-authorize the app.*ETSY_ACCESS_TOKEN and ETSY_REFRESH_TOKEN/);
  });

  it('keeps the refresh token Etsy rotated during the check in the worker database', async () => {
    const checks = await doctor({ ETSY_ACCESS_TOKEN: 'expired' });
    expect(finding(checks, ETSY, 'token and receipts').status).toBe('pass');
    // A second run with the same (now rotated-away) configuration still works: it uses the stored tokens.
    const again = await doctor({ ETSY_ACCESS_TOKEN: 'expired' });
    expect(accountChecks(again, ETSY).map((c) => c.status)).toEqual(['pass', 'pass', 'pass']);
  });

  it('fails Etsy when the token lacks transactions_w (tokenScopes) or transactions_r (403 insufficient_scope)', async () => {
    await inject({ platform: 'etsy', operation: 'tokenScopes', status: 200, body: { scopes: ['transactions_r', 'email_r'] } });
    const scopes = finding(await doctor(), ETSY, 'token scopes');
    expect(scopes.status).toBe('fail');
    expect(scopes.detail).toMatch(/lacks transactions_w/);
    expect(scopes.fix).toContain('re-authorize the app with scopes transactions_r transactions_w');

    await inject({ platform: 'etsy', operation: 'getShopReceipts', status: 403, body: { error: 'insufficient_scope', error_description: 'Insufficient scope' } });
    const receipts = finding(await doctor(), ETSY, 'token and receipts');
    expect(receipts.status).toBe('fail');
    expect(receipts.fix).toContain('re-authorize the app with scopes transactions_r transactions_w');
  });

  it('fails Amazon with a wrong refresh token, and with a wrong client secret, each with its fix', async () => {
    const badToken = await doctor({ AMAZON_REFRESH_TOKEN: 'Atzr|revoked' });
    const lwa = finding(badToken, AMAZON, 'LWA token');
    expect(lwa.status).toBe('fail');
    expect(lwa.detail).toMatch(/invalid_grant/);
    expect(lwa.fix).toContain('re-authorize in Seller Central > Apps and Services > Manage Your Apps');
    expect(accountChecks(badToken, AMAZON)).toHaveLength(1);
    expect(exitCodeOf(badToken)).toBe(1);

    const badSecret = finding(await doctor({ AMAZON_CLIENT_SECRET: 'amzn1.oa2-cs.v1.wrong' }), AMAZON, 'LWA token');
    expect(badSecret.status).toBe('fail');
    expect(badSecret.detail).toMatch(/invalid_client/);
    expect(badSecret.fix).toMatch(/AMAZON_CLIENT_ID and AMAZON_CLIENT_SECRET/);
  });

  it('fails Amazon for a configured marketplace the seller does not sell in', async () => {
    const check = finding(await doctor({ AMAZON_MARKETPLACE_IDS: 'ATVPDKIKX0DER,A1F83G8C2ARO7P' }), AMAZON, 'marketplaces');
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/A1F83G8C2ARO7P, where this seller does not sell/);
    expect(check.fix).toMatch(/AMAZON_MARKETPLACE_IDS/);
  });

  it('warns when the Amazon app lacks the Direct-to-Consumer Shipping role (a restricted data token is refused)', async () => {
    await inject({
      platform: 'amazon',
      operation: 'createRestrictedDataToken',
      status: 400,
      body: { errors: [{ code: 'InvalidInput', message: 'Application does not have access to one or more requested data elements: [buyerInfo, shippingAddress]', details: '' }] },
    });
    const checks = await doctor();
    const pii = finding(checks, AMAZON, 'buyer and address data');
    expect(pii.status).toBe('warn');
    expect(pii.detail).toContain('the app lacks the Direct-to-Consumer Shipping role: addresses will be missing');
    expect(pii.fix).toContain('Seller Central > Apps and Services > Manage Your Apps');
    expect(exitCodeOf(checks)).toBe(0); // orders still arrive, without addresses
  });

  it('fails Amazon orders when the app lacks the role for searchOrders (403)', async () => {
    await inject({ platform: 'amazon', operation: 'searchOrders', status: 403, body: { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.' }] } });
    const check = finding(await doctor(), AMAZON, 'orders');
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/Inventory and Order Tracking role.*Manage Your Apps/);
  });

  it('fails eBay with a wrong refresh token, and with a wrong user token and no refresh token', async () => {
    const refresh = finding(await doctor({ EBAY_REFRESH_TOKEN: 'v^1.1#i^1#revoked' }), EBAY, 'token refresh');
    expect(refresh.status).toBe('fail');
    expect(refresh.detail).toMatch(/invalid_grant/);
    expect(refresh.fix).toContain('re-authorize at https://developer.ebay.com/my/auth');

    const checks = await doctor({ EBAY_USER_TOKEN: 'v^1.1#i^1#expired', EBAY_REFRESH_TOKEN: '' });
    expect(finding(checks, EBAY, 'token refresh').status).toBe('warn');
    const orders = finding(checks, EBAY, 'orders (sell.fulfillment)');
    expect(orders.status).toBe('fail');
    expect(orders.fix).toContain('re-authorize at https://developer.ebay.com/my/auth');
    expect(exitCodeOf(checks)).toBe(1);
  });

  it('fails eBay with a wrong app keyset', async () => {
    const check = finding(await doctor({ EBAY_CERT_ID: 'PRD-wrong' }), EBAY, 'token refresh');
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/EBAY_APP_ID and EBAY_CERT_ID/);
  });

  it('fails eBay when the token lacks the sell.fulfillment scope (403, errorId 1100)', async () => {
    await inject({
      platform: 'ebay',
      operation: 'getOrders',
      status: 403,
      body: { errors: [{ errorId: 1100, domain: 'ACCESS', category: 'REQUEST', message: 'Access denied', longMessage: 'Insufficient permissions to fulfill the request.' }] },
    });
    const check = finding(await doctor(), EBAY, 'orders (sell.fulfillment)');
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/lacks the sell\.fulfillment scope: re-authorize at https:\/\/developer\.ebay\.com\/my\/auth/);
  });

  it('fails an account the marketplace does not answer, without judging its credentials', async () => {
    await inject({ platform: 'etsy', operation: 'getShop', status: 503, count: 5 });
    const check = finding(await doctor(), ETSY, 'app key and shop');
    expect(check.status).toBe('fail');
    expect(check.fix).toMatch(/check the network/);
  });
});
