import { describe, expect, it } from 'vitest';
import { amazonOrderToOrder } from '../../adapters/amazon/to-order.ts';
import type { AmazonOrder, FulfillmentStatus } from '../../adapters/amazon/wire.ts';
import { BadPayloadError } from '../../src/errors.ts';
import { page1, page2 } from './support.ts';

const base = () => page1().orders[0]!;
const withStatus = (status: FulfillmentStatus): AmazonOrder => ({ ...base(), fulfillment: { ...base().fulfillment!, fulfillmentStatus: status } });

describe('Amazon order -> Order', () => {
  it.each([
    ['PENDING_AVAILABILITY', 'pending', 'pending', undefined],
    ['PENDING', 'pending', 'pending', undefined],
    ['UNSHIPPED', 'unshipped', 'paid', undefined],
    ['PARTIALLY_SHIPPED', 'partially_shipped', 'paid', undefined],
    ['SHIPPED', 'shipped', 'paid', undefined],
    ['CANCELLED', 'cancelled', 'unknown', undefined],
    ['UNFULFILLABLE', 'cancelled', 'unknown', ['unfulfillable']],
  ] as const)('maps %s to %s / %s', (fs, status, paymentStatus, flags) => {
    const o = amazonOrderToOrder({ order: withStatus(fs) }, 'S1');
    expect(o).toMatchObject({ status, paymentStatus });
    expect(o.flags).toEqual(flags);
    // The same value in another casing is the same status, never a fall-through.
    const mixed = fs.toLowerCase().replace(/^./, (c) => c.toUpperCase()) as FulfillmentStatus;
    expect(amazonOrderToOrder({ order: withStatus(mixed) }, 'S1')).toMatchObject({ status, paymentStatus });
  });

  it.each([['SHIPPING'], ['Canceled'], ['']])('quarantines the unknown status %j, naming the field', (fs) => {
    expect(() => amazonOrderToOrder({ order: withStatus(fs as FulfillmentStatus) }, 'S1')).toThrow(/fulfillment.fulfillmentStatus: unknown value/);
  });

  it('reads fulfilledBy in any casing and quarantines an unknown one', () => {
    const by = (fulfilledBy: string): AmazonOrder => ({ ...base(), fulfillment: { ...base().fulfillment!, fulfilledBy } });
    expect(amazonOrderToOrder({ order: by('amazon') }, 'S1').flags).toContain('fulfilled_by_amazon');
    expect(amazonOrderToOrder({ order: by('Merchant') }, 'S1').flags ?? []).not.toContain('fulfilled_by_amazon');
    expect(() => amazonOrderToOrder({ order: by('PARTNER') }, 'S1')).toThrow(/fulfillment.fulfilledBy: unknown value "PARTNER"/);
  });

  it.each([
    ['USD', '24.50', 2450],
    ['USD', '0.07', 7],
    ['EUR', '1234.5', 123450],
    ['JPY', '1500', 1500],
    ['USD', '19.990', 1999],
  ])('converts %s %s to %i minor units without floats', (currency, amount, minor) => {
    const o = base();
    const money = { amount, currencyCode: currency };
    const order: AmazonOrder = { ...o, proceeds: { grandTotal: money }, orderItems: [{ ...o.orderItems[1]!, product: { ...o.orderItems[1]!.product, price: { unitPrice: money } } }] };
    const n = amazonOrderToOrder({ order }, 'S1');
    expect(n.totalMinor).toBe(minor);
    expect(n.items[0]!.unitPriceMinor).toBe(minor);
  });

  it.each([
    ['orderId', (o: AmazonOrder) => ({ ...o, orderId: '' })],
    ['orderItems', (o: AmazonOrder) => ({ ...o, orderItems: undefined as never })],
    ['fulfillment.fulfillmentStatus', (o: AmazonOrder) => ({ ...o, fulfillment: undefined })],
    ['createdTime', (o: AmazonOrder) => ({ ...o, createdTime: 'yesterday' })],
    ['orderItems[1].quantityOrdered', (o: AmazonOrder) => ({ ...o, orderItems: [o.orderItems[0]!, { ...o.orderItems[1]!, quantityOrdered: 1.5 }] })],
    ['orderItems[0].product.price.unitPrice', (o: AmazonOrder) => ({ ...o, orderItems: [{ ...o.orderItems[0]!, product: { sellerSku: 'X' } }] })],
    ['proceeds.grandTotal.amount', (o: AmazonOrder) => ({ ...o, proceeds: { grandTotal: { amount: '42.485', currencyCode: 'USD' } } })],
    ['orderItems[0].product.price.unitPrice.currencyCode', (o: AmazonOrder) => ({ ...o, orderItems: [{ ...o.orderItems[0]!, product: { ...o.orderItems[0]!.product, price: { unitPrice: { amount: '1', currencyCode: 'EUR' } } } }] })],
  ])('names the field when %s cannot be trusted', (field, breakIt) => {
    const err = (() => {
      try {
        amazonOrderToOrder({ order: breakIt(base()) }, 'S1');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BadPayloadError);
    expect((err as BadPayloadError).field).toBe(field);
  });

  it('keeps lines, ASIN, ship-by, gift message and the address; several Custom texts become labelled lines', () => {
    const o = amazonOrderToOrder(
      {
        order: base(),
        customizations: { '41234567890123': { texts: [{ label: 'Front', text: 'Emma' }, { label: 'Back', text: '2026' }], options: { Colour: 'Red' } } },
      },
      'S1',
    );
    expect(o).toMatchObject({
      accountId: 'amazon:S1',
      shipBy: '2026-11-23T07:59:59.000Z',
      giftMessage: 'Happy birthday! 🎂',
      buyerName: 'Zoë Müller',
      shippingAddress: { line1: '43 Example Street', postalCode: '62701', countryCode: 'US' },
    });
    expect(o.items[0]).toMatchObject({ externalLineId: '41234567890123', sku: '3DP-NAMESIGN', listingId: 'B0CUSTOM01', quantity: 1, personalization: 'Front: Emma\nBack: 2026', variations: { Colour: 'Red' } });
    expect(o.items[1]).toMatchObject({ sku: 'STICKER-PACK', quantity: 2, unitPriceMinor: 599 });
  });

  it('flags a buyer cancellation request so production holds', () => {
    const o = base();
    const order = { ...o, orderItems: [{ ...o.orderItems[1]!, cancellation: { cancellationRequest: { requester: 'BUYER', cancelReason: 'changed mind' } } }] };
    expect(amazonOrderToOrder({ order }, 'S1').flags).toEqual(['cancel_requested']);
  });

  it('takes the currency from the marketplace when a pending order has no amounts', () => {
    const pending = page1().orders[1]!;
    const noPrice = { ...pending, orderItems: pending.orderItems.map((i) => ({ ...i, product: { ...i.product, price: undefined } })) };
    expect(amazonOrderToOrder({ order: noPrice }, 'S1')).toMatchObject({ currency: 'USD', totalMinor: 0, status: 'pending' });
    expect(amazonOrderToOrder({ order: page2().orders[0]! }, 'S1').currency).toBe('EUR');
  });
});
