import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAmazonAdapter } from '../../adapters/amazon/index.ts';
import { packageReferenceId } from '../../adapters/amazon/push-shipment.ts';
import type { ShipmentPush } from '../../adapters/types.ts';
import { PermanentRemoteError, ValidationError } from '../../src/errors.ts';
import { silentLog, tempDatabase } from '../support/env.ts';
import { credentials, fixture, mockToken, SP_API } from './support.ts';

const ORDER = '112-1000001-2000001';
const GET = `/orders/2026-01-01/orders/${ORDER}`;
const CONFIRM = `/orders/v0/orders/${ORDER}/shipmentConfirmation`;
const push: ShipmentPush = {
  shipmentId: '4711',
  orderExternalId: ORDER,
  carrier: 'USPS',
  trackingNumber: '9400111899223100012345',
  shippedAt: '2026-11-20T13:30:00Z',
  lines: [{ externalLineId: '41234567890123', quantity: 1 }],
  retry: false,
};

let store: ReturnType<typeof tempDatabase>;
const adapter = () => createAmazonAdapter({ db: store.db, log: silentLog(), credentials, retry: { minTimeoutMs: 1, maxTimeoutMs: 2 } });
const mockGetOrder = (file: string) =>
  nock(SP_API)
    .get(GET)
    .query((q) => q.includedData === 'FULFILLMENT,PACKAGES')
    .reply(200, fixture(file));

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  store = tempDatabase();
  mockToken();
});
afterEach(() => {
  nock.cleanAll();
  store.dispose();
});

describe('Amazon confirmShipment', () => {
  it('sends a partial shipment with exactly the body of the model', async () => {
    mockGetOrder('get-order-unshipped.json');
    const confirm = nock(SP_API).post(CONFIRM, fixture('confirm-shipment-request-partial.json')).reply(204);
    expect(await adapter().pushShipment(push)).toEqual({ alreadyPresent: false, remoteId: '4711' });
    expect(confirm.isDone()).toBe(true);
  });

  it('is not repeated after a crash between send and acknowledgement: getOrder shows the package', async () => {
    mockGetOrder('get-order-unshipped.json');
    const first = nock(SP_API).post(CONFIRM).once().reply(204);
    await adapter().pushShipment(push); // Amazon has it; the process dies before recording that
    expect(first.isDone()).toBe(true);

    mockGetOrder('get-order-after-confirm.json');
    const second = nock(SP_API).post(CONFIRM).reply(204);
    expect(await adapter().pushShipment({ ...push, retry: true })).toEqual({ alreadyPresent: true, remoteId: '4711' });
    expect(second.isDone()).toBe(false);
  });

  it('ships every remaining unit when no lines are given, and sends Other + the name for unknown carriers', async () => {
    mockGetOrder('get-order-unshipped.json');
    let body: { packageDetail: Record<string, unknown> } | undefined;
    nock(SP_API)
      .post(CONFIRM, (b) => ((body = b), true))
      .reply(204);
    await adapter().pushShipment({ ...push, shipmentId: 'c5a1f6e2-7d1b-4a4e-9a57-2b3c4d5e6f70', carrier: 'Pigeon Post', lines: [] });
    expect(body!.packageDetail).toMatchObject({
      packageReferenceId: packageReferenceId('c5a1f6e2-7d1b-4a4e-9a57-2b3c4d5e6f70'),
      carrierCode: 'Other',
      carrierName: 'Pigeon Post',
      orderItems: [
        { orderItemId: '41234567890123', quantity: 1 },
        { orderItemId: '41234567890124', quantity: 2 },
      ],
    });
    expect(body!.packageDetail.packageReferenceId).toMatch(/^[1-9]\d*$/);
  });

  it('turns Amazon refusals into permanent errors with Amazon’s message', async () => {
    mockGetOrder('get-order-unshipped.json');
    nock(SP_API).post(CONFIRM).reply(400, fixture('confirm-shipment-400.json'));
    mockGetOrder('get-order-unshipped.json'); // asked again after the refusal: our package is not there
    const err = await adapter().pushShipment(push).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentRemoteError);
    expect((err as Error).message).toMatch(/InvalidInput: The order is CANCELLED/);
  });

  it('a refused second confirmation of a package Amazon already has is "already confirmed", not a failure', async () => {
    mockGetOrder('get-order-unshipped.json'); // a stale read: the first confirmation is not visible yet
    nock(SP_API)
      .post(CONFIRM)
      .reply(400, { errors: [{ code: 'InvalidInput', message: 'Failed to create package due to not finding a matching package or order already fulfilled.', details: 'errorMetric=PackageToUpdateNotFound' }] });
    mockGetOrder('get-order-after-confirm.json');
    expect(await adapter().pushShipment({ ...push, retry: true })).toEqual({ alreadyPresent: true, remoteId: '4711' });
  });

  it('refuses lines the order does not have, and a blank carrier', async () => {
    mockGetOrder('get-order-unshipped.json');
    await expect(adapter().pushShipment({ ...push, lines: [{ externalLineId: '999', quantity: 1 }] })).rejects.toThrow(ValidationError);
    expect(() => adapter().mapCarrier('  ')).toThrow(/Known codes: .*USPS/);
    expect(adapter().mapCarrier('royal-mail')).toEqual({ code: 'Royal Mail' });
    expect(adapter().mapCarrier('fedex')).toEqual({ code: 'FedEx' });
  });
});
