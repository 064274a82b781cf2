import { AuthError, ConfigurationError, PermanentRemoteError, PermissionDeniedError } from '../../src/errors.ts';
import { failed, notAnswered, passed } from '../access-findings.ts';
import type { AccessCheck } from '../types.ts';
import type { EtsyClient } from './client.ts';

const YOUR_APPS = 'https://www.etsy.com/developers/your-apps';
/** What the worker does with a shop: read receipts, upload tracking. */
export const ETSY_SCOPES_NEEDED = ['transactions_r', 'transactions_w'];
const REAUTHORIZE = `re-authorize the app with scopes ${ETSY_SCOPES_NEEDED.join(' ')}, then set ETSY_ACCESS_TOKEN and ETSY_REFRESH_TOKEN to the new tokens`;

interface EtsyShop {
  shop_id?: number;
  shop_name?: string;
}

/**
 * The app's key and shared secret (getShop needs nothing else), the token and transactions_r
 * (getShopReceipts, limit 1), and every scope the worker needs (tokenScopes): three cheap reads,
 * stopped at the first the others depend on.
 */
export async function checkEtsyAccess(client: EtsyClient, shopId: string): Promise<AccessCheck[]> {
  const checks: AccessCheck[] = [];
  try {
    const shop = await client.request<EtsyShop>('getShop', { method: 'GET', url: `/v3/application/shops/${shopId}` });
    checks.push(passed('app key and shop', `keystring and shared secret accepted; shop ${shop?.shop_name ?? '?'} (${shopId})`));
  } catch (err) {
    if (err instanceof ConfigurationError) {
      checks.push(failed('app key and shop', err, `add the shared secret from Your Apps (${YOUR_APPS}): ETSY_CLIENT_ID is the keystring, ETSY_SHARED_SECRET the shared secret`));
    } else if (err instanceof PermanentRemoteError) {
      checks.push(failed('app key and shop', err, `set ETSY_SHOP_ID to your shop's numeric id (getMe, or the shop's page in Shop Manager)`));
    } else {
      checks.push(notAnswered('app key and shop', 'Etsy', err) ?? failed('app key and shop', err, 'run the doctor again; if it persists, report it'));
    }
    return checks; // every other call needs the key and the shop
  }

  try {
    await client.request('getShopReceipts', { method: 'GET', url: `/v3/application/shops/${shopId}/receipts`, params: { limit: 1 } });
    checks.push(passed('token and receipts', 'the access token reads the shop receipts (transactions_r)'));
  } catch (err) {
    if (err instanceof PermissionDeniedError) checks.push(failed('token and receipts', err, REAUTHORIZE));
    else if (err instanceof AuthError) checks.push(failed('token and receipts', err, `re-authorize the app (OAuth) and set ETSY_ACCESS_TOKEN and ETSY_REFRESH_TOKEN to the new tokens`));
    else checks.push(notAnswered('token and receipts', 'Etsy', err) ?? failed('token and receipts', err, 'run the doctor again; if it persists, report it'));
    return checks;
  }

  // The token endpoint's answer carries no scopes; tokenScopes is the one place Etsy tells them.
  try {
    const answer = await client.request<{ scopes?: unknown }>('tokenScopes', {
      method: 'POST',
      url: '/v3/application/scopes',
      data: new URLSearchParams({ token: client.currentAccessToken() }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const granted = Array.isArray(answer?.scopes) ? answer.scopes.map(String) : [];
    const missing = ETSY_SCOPES_NEEDED.filter((s) => !granted.includes(s));
    checks.push(
      missing.length === 0
        ? passed('token scopes', `granted: ${granted.join(' ')}`)
        : {
            name: 'token scopes',
            status: 'fail',
            detail: `the token lacks ${missing.join(' ')}${missing.includes('transactions_w') ? ' (tracking uploads would be refused)' : ''}; granted: ${granted.join(' ') || 'none'}`,
            fix: REAUTHORIZE,
          },
    );
  } catch (err) {
    checks.push(notAnswered('token scopes', 'Etsy', err) ?? failed('token scopes', err, REAUTHORIZE));
  }
  return checks;
}
