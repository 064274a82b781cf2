import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCustomizationArchive } from '../../adapters/amazon/customization.ts';
import { assertMatchesSchema } from '../support/spec-schemas.ts';
import { customizationZip } from './support.ts';

/** Every fixture that is an Amazon API body, and the official schema it must follow. */
const SCHEMA_OF: Record<string, [string, string]> = {
  'search-orders-page-1.json': ['amazon/orders_2026-01-01.json', 'definitions/SearchOrdersResponse'],
  'search-orders-page-2.json': ['amazon/orders_2026-01-01.json', 'definitions/SearchOrdersResponse'],
  'get-order-unshipped.json': ['amazon/orders_2026-01-01.json', 'definitions/GetOrderResponse'],
  'get-order-after-confirm.json': ['amazon/orders_2026-01-01.json', 'definitions/GetOrderResponse'],
  'error-429.json': ['amazon/orders_2026-01-01.json', 'definitions/ErrorList'],
  'confirm-shipment-request-partial.json': ['amazon/ordersV0.json', 'definitions/ConfirmShipmentRequest'],
  'confirm-shipment-400.json': ['amazon/ordersV0.json', 'definitions/ConfirmShipmentErrorResponse'],
};
/** Not in the SP-API models: LWA token answers (RFC 6749) and the Amazon Custom file. */
const OUTSIDE_THE_MODELS = ['lwa-token.json', 'lwa-invalid-grant.json', 'customization-namesign.json'];

describe('Amazon fixtures follow the official models', () => {
  const dir = new URL('../fixtures/amazon/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('every fixture is either checked against a schema or known to be outside the models', () => {
    expect(files.filter((f) => !(f in SCHEMA_OF) && !OUTSIDE_THE_MODELS.includes(f))).toEqual([]);
  });

  it.each(Object.keys(SCHEMA_OF))('%s matches its schema', (file) => {
    const [spec, pointer] = SCHEMA_OF[file]!;
    assertMatchesSchema(spec, pointer, JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
  });

  it('the schema check has teeth: an order without lastUpdatedTime is refused', () => {
    const page = JSON.parse(readFileSync(new URL('search-orders-page-1.json', dir), 'utf8'));
    delete page.orders[0].lastUpdatedTime;
    expect(() => assertMatchesSchema('amazon/orders_2026-01-01.json', 'definitions/SearchOrdersResponse', page)).toThrow(/lastUpdatedTime/);
  });

  it('reads the buyer text and options out of a customization ZIP', () => {
    expect(parseCustomizationArchive(customizationZip())).toEqual({
      texts: [{ label: 'Name on the sign', text: 'Zoë & Léo 🎉\nEst. 2024 — «merci»' }],
      options: { Size: 'Large' },
    });
    expect(parseCustomizationArchive(new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)])).error).toMatch(/no JSON/);
  });
});
