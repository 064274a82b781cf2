import { AuthError, PermissionDeniedError } from '../../src/errors.ts';
import { failed, notAnswered, passed } from '../access-findings.ts';
import type { AccessCheck } from '../types.ts';
import { EBAY_FULFILLMENT_SCOPE, type EbayClient } from './client.ts';

const USER_TOKENS = 'https://developer.ebay.com/my/auth';
const REAUTHORIZE = `re-authorize at ${USER_TOKENS} (User Tokens, "Sign in to Production" with scope ${EBAY_FULFILLMENT_SCOPE}) and set EBAY_USER_TOKEN and EBAY_REFRESH_TOKEN to the new tokens`;

const otherwise = (name: string, err: unknown): AccessCheck =>
  notAnswered(name, 'eBay', err) ?? (err instanceof AuthError ? failed(name, err, REAUTHORIZE) : failed(name, err, 'run the doctor again; if it persists, report it'));

/**
 * The refresh token (a new access token now: eBay keeps the refresh token and the old access token
 * valid), then the sell.fulfillment scope with the cheapest Fulfillment call (getOrders, limit 1).
 */
export async function checkEbayAccess(client: EbayClient, hasRefreshToken: boolean): Promise<AccessCheck[]> {
  const checks: AccessCheck[] = [];
  if (!hasRefreshToken) {
    checks.push({
      name: 'token refresh',
      status: 'warn',
      detail: 'EBAY_REFRESH_TOKEN is not set: the worker cannot renew EBAY_USER_TOKEN when it expires (after two hours)',
      fix: `set EBAY_REFRESH_TOKEN to the refresh token issued with the user token (${USER_TOKENS})`,
    });
  } else {
    try {
      await client.renewAccessToken();
      checks.push(passed('token refresh', 'EBAY_REFRESH_TOKEN gives a new access token'));
    } catch (err) {
      if (err instanceof AuthError && /invalid_client/.test(err.message)) {
        checks.push(failed('token refresh', err, "set EBAY_APP_ID and EBAY_CERT_ID to the app's production keyset (https://developer.ebay.com/my/keys)"));
      } else checks.push(otherwise('token refresh', err));
      return checks;
    }
  }

  try {
    await client.call('getOrders', (api) => api.sell.fulfillment.getOrders({ limit: 1 }));
    checks.push(passed('orders (sell.fulfillment)', 'getOrders answers: the token has the sell.fulfillment scope'));
  } catch (err) {
    checks.push(
      err instanceof PermissionDeniedError
        ? failed('orders (sell.fulfillment)', err, `the token lacks the sell.fulfillment scope: ${REAUTHORIZE}`)
        : otherwise('orders (sell.fulfillment)', err),
    );
  }
  return checks;
}
