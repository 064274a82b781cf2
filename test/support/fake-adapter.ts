import type { MarketplaceAdapter, Order, OrderPage, ShipmentPush, ShipmentPushResult } from '../../adapters/types.ts';
import { compareCodeUnits } from '../../src/compare.ts';
import { BadPayloadError, ValidationError } from '../../src/errors.ts';

/** The raw shape the in-memory fake marketplace hands out. */
export interface FakeRawOrder {
  id: string;
  modified: string;
  status?: Order['status'];
  paid?: boolean;
  shipBy?: string;
  total?: number;
  lines: { id: string; sku: string; title?: string; qty: number; price?: number; text?: string; variations?: Record<string, string> }[];
}

/**
 * An in-memory marketplace: orders with last-modified times, paged by `pageSize`, cursor = the
 * last-modified time of the page's last order. Tests can hook each page fetch (`beforePage`).
 */
export class FakeAdapter implements MarketplaceAdapter<FakeRawOrder> {
  readonly platform = 'etsy' as const;
  readonly accountId: string;
  limits: MarketplaceAdapter['limits'] = { getOrders: { ratePerSecond: 100, burst: 100 } };
  orders: FakeRawOrder[] = [];
  pageSize = 2;
  fetchCalls = 0;
  pushed: ShipmentPush[] = [];
  beforePage?: (pageIndex: number) => Promise<void> | void;

  constructor(accountId = 'fake-shop') {
    this.accountId = accountId;
  }

  async *fetchOrdersSince(cursor: string | null, _stream?: string, until?: string): AsyncIterable<OrderPage<FakeRawOrder>> {
    this.fetchCalls += 1;
    const since = cursor ? Date.parse(cursor) : -Infinity;
    const end = until ? Date.parse(until) : Infinity;
    const changed = this.orders.filter((o) => Date.parse(o.modified) > since && Date.parse(o.modified) <= end).sort((a, b) => compareCodeUnits(a.modified, b.modified));
    for (let i = 0; i < changed.length; i += this.pageSize) {
      await this.beforePage?.(i / this.pageSize);
      const page = changed.slice(i, i + this.pageSize);
      yield { orders: structuredClone(page), nextCursor: page.at(-1)!.modified };
    }
  }

  rawOrderId(raw: FakeRawOrder) {
    return raw?.id;
  }

  normalize(raw: FakeRawOrder): Order {
    if (!raw.id) throw new BadPayloadError('id', 'missing');
    if (!Array.isArray(raw.lines)) throw new BadPayloadError('lines', 'missing');
    return {
      platform: this.platform,
      accountId: `${this.platform}:${this.accountId}`,
      externalId: raw.id,
      status: raw.status ?? 'unshipped',
      paymentStatus: raw.paid === false ? 'pending' : 'paid',
      purchasedAt: raw.modified,
      updatedAt: raw.modified,
      shipBy: raw.shipBy,
      currency: 'USD',
      totalMinor: raw.total ?? raw.lines.reduce((s, l) => s + (l.price ?? 1000) * l.qty, 0),
      items: raw.lines.map((l) => ({
        externalLineId: l.id,
        sku: l.sku,
        title: l.title ?? l.sku,
        quantity: l.qty,
        unitPriceMinor: l.price ?? 1000,
        personalization: l.text,
        variations: l.variations,
      })),
    };
  }

  async pushShipment(s: ShipmentPush): Promise<ShipmentPushResult> {
    this.pushed.push(s);
    return { alreadyPresent: false, remoteId: `fake-${this.pushed.length}` };
  }

  mapCarrier(name: string) {
    if (!['usps', 'ups', 'fedex', 'dhl'].includes(name.toLowerCase())) throw new ValidationError(`unknown carrier "${name}"`);
    return { code: name.toUpperCase() };
  }
}
