import { AuthError, PermanentRemoteError, PermissionDeniedError } from '../../src/errors.ts';
import { failed, notAnswered, passed } from '../access-findings.ts';
import type { AccessCheck } from '../types.ts';
import type { AmazonClient } from './client.ts';
import { ORDERS_VERSION } from './fetch-orders.ts';

const MANAGE_APPS = 'Seller Central > Apps and Services > Manage Your Apps';
const REAUTHORIZE = `re-authorize in ${MANAGE_APPS} and set AMAZON_REFRESH_TOKEN to the new refresh token`;
/** searchOrders wants its window's end two minutes back at least; a little more for clock skew. */
const SETTLE_MS = 2 * 60_000 + 5_000;

interface Participation {
  marketplace?: { id?: string; name?: string; countryCode?: string };
  participation?: { isParticipating?: boolean };
}

/** The LWA error code behind an AuthError from the token request (invalid_grant, invalid_client...). */
const lwaCode = (err: unknown): string | undefined => {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' && /^[a-z_]+$/.test(cause.code) ? cause.code : undefined;
};

const otherwise = (name: string, err: unknown): AccessCheck =>
  notAnswered(name, 'Amazon', err) ??
  (err instanceof AuthError ? failed(name, err, REAUTHORIZE) : failed(name, err, 'run the doctor again; if it persists, report it'));

/**
 * LWA (a new access token from the refresh token), the seller's marketplaces against
 * AMAZON_MARKETPLACE_IDS, the Orders API (searchOrders, one order), and the Direct-to-Consumer
 * Shipping role that buyers' names and addresses need (a restricted data token for them).
 */
export async function checkAmazonAccess(client: AmazonClient, marketplaceIds: string[]): Promise<AccessCheck[]> {
  const checks: AccessCheck[] = [];
  try {
    await client.renewAccessToken();
    checks.push(passed('LWA token', 'the refresh token, client id and client secret give an access token'));
  } catch (err) {
    const code = lwaCode(err);
    if (err instanceof AuthError && code === 'invalid_client') {
      checks.push(failed('LWA token', err, "set AMAZON_CLIENT_ID and AMAZON_CLIENT_SECRET to the app's LWA credentials (Developer Central, the app's LWA credentials > View)"));
    } else checks.push(otherwise('LWA token', err));
    return checks; // nothing else can be asked without a token
  }

  try {
    const res = await client.call<{ payload?: Participation[] }>('getMarketplaceParticipations', { endpoint: 'sellers', version: 'v1' });
    const selling = new Map(
      (res?.payload ?? []).filter((p) => p.participation?.isParticipating && p.marketplace?.id).map((p) => [p.marketplace!.id!, p.marketplace!.countryCode ?? p.marketplace!.name ?? '']),
    );
    const missing = marketplaceIds.filter((id) => !selling.has(id));
    const sells = [...selling].map(([id, country]) => `${country} ${id}`).join(', ') || 'none';
    checks.push(
      missing.length === 0
        ? passed('marketplaces', `the seller sells in every marketplace of AMAZON_MARKETPLACE_IDS (${marketplaceIds.map((id) => `${selling.get(id)} ${id}`).join(', ')})`)
        : {
            name: 'marketplaces',
            status: 'fail',
            detail: `AMAZON_MARKETPLACE_IDS names ${missing.join(', ')}, where this seller does not sell (it sells in: ${sells})`,
            fix: `set AMAZON_MARKETPLACE_IDS to marketplaces the seller sells in${selling.size ? `, e.g. ${[...selling.keys()].join(',')}` : ''}`,
          },
    );
  } catch (err) {
    checks.push(err instanceof PermissionDeniedError ? failed('marketplaces', err, REAUTHORIZE) : otherwise('marketplaces', err));
  }

  try {
    const before = Date.now() - SETTLE_MS;
    await client.call('searchOrders', {
      endpoint: 'orders',
      version: ORDERS_VERSION,
      query: {
        lastUpdatedAfter: new Date(before - 86_400_000).toISOString(),
        lastUpdatedBefore: new Date(before).toISOString(),
        marketplaceIds,
        fulfilledBy: ['MERCHANT'],
        maxResultsPerPage: 1,
      },
    });
    checks.push(passed('orders', 'searchOrders answers for these marketplaces'));
  } catch (err) {
    checks.push(
      err instanceof PermissionDeniedError
        ? failed('orders', err, `the app needs the Inventory and Order Tracking role: add it to the app in Developer Central, then ${REAUTHORIZE}`)
        : otherwise('orders', err),
    );
  }

  // A restricted data token for buyer and address is refused (400) when the app lacks the role.
  try {
    await client.call('createRestrictedDataToken', {
      endpoint: 'tokens',
      version: '2021-03-01',
      body: { restrictedResources: [{ method: 'GET', path: '/orders/v0/orders', dataElements: ['buyerInfo', 'shippingAddress'] }] },
    });
    checks.push(passed('buyer and address data', 'the app has the Direct-to-Consumer Shipping role'));
  } catch (err) {
    if (err instanceof PermanentRemoteError && /does not have access|do not have access/i.test(err.message)) {
      checks.push({
        name: 'buyer and address data',
        status: 'warn',
        detail: `the app lacks the Direct-to-Consumer Shipping role: addresses will be missing (${err.message})`,
        fix: `request the Direct-to-Consumer Shipping (restricted) role for the app in Developer Central, then ${REAUTHORIZE}`,
      });
    } else checks.push(otherwise('buyer and address data', err));
  }
  return checks;
}
