import { readFileSync } from 'node:fs';
import { strToU8, zipSync } from 'fflate';
import nock from 'nock';
import type { SearchOrdersResponse } from '../../adapters/amazon/wire.ts';

export const SP_API = 'https://sellingpartnerapi-na.amazon.com';
export const LWA = 'https://api.amazon.com';
export const SEARCH_PATH = '/orders/2026-01-01/orders';

export const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/amazon/${name}`, import.meta.url), 'utf8')) as T;
export const page1 = () => fixture<SearchOrdersResponse>('search-orders-page-1.json');
export const page2 = () => fixture<SearchOrdersResponse>('search-orders-page-2.json');

export const credentials = {
  sellerId: 'A2TESTSELLER',
  refreshToken: 'Atzr|IwEBIconfigRefreshToken',
  clientId: 'amzn1.application-oa2-client.test',
  clientSecret: 'amzn1.oa2-cs.v1.test-secret',
  region: 'NA' as const,
  marketplaceIds: ['ATVPDKIKX0DER', 'A1PA6795UKMFR9', 'A1VC38T7YXB528'],
  lateOrderWindowMs: 24 * 3_600_000,
};

/** "Now" for the nock tests: lastUpdatedBefore comes out as 12:00:00.000Z (now - 2 min 5 s). */
export const NOW = Date.parse('2026-11-20T12:02:05Z');

/** The Amazon Custom ZIP of the fixture order's name sign. */
export const customizationZip = () => Buffer.from(zipSync({ '41234567890123.json': strToU8(JSON.stringify(fixture('customization-namesign.json'))) }));
export const CUSTOM_URL = new URL(page1().orders[0]!.orderItems[0]!.product.customization!.customizedUrl!);

export function mockToken(times = 1) {
  return nock(LWA)
    .post('/auth/o2/token', (b) => b.grant_type === 'refresh_token' && b.refresh_token === credentials.refreshToken && b.client_id === credentials.clientId)
    .times(times)
    .reply(200, fixture('lwa-token.json'));
}

export function mockCustomization() {
  return nock(CUSTOM_URL.origin).get(CUSTOM_URL.pathname).reply(200, customizationZip(), { 'content-type': 'application/zip' });
}
