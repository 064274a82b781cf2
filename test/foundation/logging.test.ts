import { describe, expect, it } from 'vitest';
import { AxiosError, AxiosHeaders } from 'axios';
import { configSecrets, loadConfig } from '../../config/env.ts';
import { captureLogger } from '../support/env.ts';
import { registerSecret } from '../../src/logger.ts';

describe('logging', () => {
  it('never writes a secret: not by key, not inside messages, not inside HTTP client errors', () => {
    const config = loadConfig({
      ETSY_CLIENT_ID: 'etsy-keystring-abc123',
      ETSY_SHARED_SECRET: 'etsy-shared-secret-lmn',
      ETSY_ACCESS_TOKEN: '12345678.etsy-access-secret-xyz',
      ETSY_SHOP_ID: '42',
      ETSY_REFRESH_TOKEN: '12345678.etsy-refresh-secret-qrs',
      ADMIN_USER: 'ops',
      ADMIN_PASSWORD: 'admin-password-987',
    });
    for (const secret of configSecrets(config)) registerSecret(secret);
    const { log, lines } = captureLogger();

    const headers = new AxiosHeaders({ Authorization: `Bearer ${config.platforms.etsy!.accessToken}`, 'x-api-key': `${config.platforms.etsy!.clientId}:${config.platforms.etsy!.sharedSecret}` });
    const err = new AxiosError('Request failed with status code 401', 'ERR_BAD_REQUEST', {
      headers,
      url: `https://openapi.etsy.com/v3/public/oauth/token`,
      method: 'post',
      data: `grant_type=refresh_token&client_id=etsy-keystring-abc123&refresh_token=${encodeURIComponent(config.platforms.etsy!.refreshToken!)}`,
    });
    log.error({ err }, 'token refresh failed');
    log.info({ tokens: { access_token: 'fresh-token-never-registered', refresh_token: 'another-one-here' } }, 'stored tokens');
    log.warn(`retrying with ${config.platforms.etsy!.accessToken}`);
    log.info({ authorization: 'Basic b3BzOmFkbWluLXBhc3N3b3JkLTk4Nw==' }, 'incoming request');
    log.info('refresh body was grant_type=refresh_token&refresh_token=unregistered-rt-123456');

    const out = lines();
    expect(out).toContain('token refresh failed');
    expect(out).toContain('POST https://openapi.etsy.com/v3/public/oauth/token');
    for (const secret of [
      'etsy-access-secret-xyz',
      'etsy-refresh-secret-qrs',
      'etsy-keystring-abc123',
      'etsy-shared-secret-lmn',
      'admin-password-987',
      'fresh-token-never-registered',
      'another-one-here',
      'b3BzOmFkbWluLXBhc3N3b3JkLTk4Nw',
      'unregistered-rt-123456',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[redacted]');
  });

  it('scrubs exactly the secrets: ordinary words, seller ids and order numbers survive', () => {
    const config = loadConfig({
      EBAY_APP_ID: 'PrintSho-ordersyn-PRD-1a2b3c4d5-6e7f8a9b',
      EBAY_DEV_ID: '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
      EBAY_CERT_ID: 'PRD-a1b2c3d4e5f6-7a8b-9c0d-1e2f-3a4b',
      EBAY_USER_TOKEN: 'v^1.1#i^1#p^3#ebay-user-token-secret',
      EBAY_REFRESH_TOKEN: 'v^1.1#i^1#r^1#ebay-refresh-secret',
      AMAZON_SELLER_ID: 'A2SELLERIDVISIBLE',
      AMAZON_CLIENT_ID: 'amzn1.application-oa2-client.visible',
      AMAZON_CLIENT_SECRET: 'amzn1.oa2-cs.v1.amazon-client-secret',
      AMAZON_REFRESH_TOKEN: 'Atzr|amazon-refresh-secret',
    });
    for (const secret of configSecrets(config)) registerSecret(secret);
    const { log, lines } = captureLogger();
    const headers = new AxiosHeaders({ Authorization: `Bearer ${config.platforms.ebay!.userToken}` });
    const err = new AxiosError('Request failed with status code 401', 'ERR_BAD_REQUEST', {
      headers,
      url: 'https://api.ebay.com/identity/v1/oauth2/token',
      method: 'post',
      data: `grant_type=refresh_token&refresh_token=${encodeURIComponent(config.platforms.ebay!.refreshToken!)}`,
    });
    log.error({ err, environment: config.platforms.ebay!.environment, seller: config.platforms.ebay!.sellerId }, 'eBay production refresh failed for the default seller');
    log.info({ order: '112-1000001-2000001', sellerId: config.platforms.amazon!.sellerId }, `Amazon order 112-1000001-2000001 in production for ${config.platforms.amazon!.clientId}`);
    const out = lines();
    for (const kept of ['production', 'default', '112-1000001-2000001', 'A2SELLERIDVISIBLE', 'amzn1.application-oa2-client.visible']) {
      expect(out).toContain(kept);
    }
    for (const secret of ['ebay-user-token-secret', 'ebay-refresh-secret', 'PRD-a1b2c3d4e5f6-7a8b-9c0d-1e2f-3a4b', 'amazon-client-secret', 'amazon-refresh-secret']) {
      expect(out).not.toContain(secret);
    }
  });
});
