import { describe, expect, it } from 'vitest';
import { AxiosError, AxiosHeaders } from 'axios';
import { loadConfig } from '../../config/env.ts';
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
    for (const v of Object.values(config.platforms.etsy!)) registerSecret(v);
    registerSecret(config.http.adminPassword);
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
});
