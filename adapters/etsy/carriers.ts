import { ValidationError } from '../../src/errors.ts';

/**
 * Carrier names Etsy's createReceiptShipment accepts (`carrier_name`), keyed by the names a shop
 * types. Etsy has no "other + free text" option for tracked uploads, so an unknown carrier is refused.
 */
const ETSY_CARRIERS: Record<string, string> = {
  usps: 'usps',
  ups: 'ups',
  fedex: 'fedex',
  dhl: 'dhl',
  'dhl express': 'dhl',
  'dhl ecommerce': 'dhl-ecommerce',
  'canada post': 'canada-post',
  'royal mail': 'royal-mail',
  'parcelforce': 'parcelforce',
  'australia post': 'australia-post',
  'deutsche post': 'deutsche-post',
  dpd: 'dpd',
  gls: 'gls',
  evri: 'hermes-uk',
  hermes: 'hermes',
  'la poste': 'la-poste',
  colissimo: 'colissimo',
  postnl: 'postnl',
  'japan post': 'japan-post',
  'china post': 'china-post',
};

export const ETSY_CARRIER_CODES = [...new Set(Object.values(ETSY_CARRIERS))].sort();

export function mapEtsyCarrier(name: string): { code: string } {
  const key = name.trim().toLowerCase().replace(/[-_]+/g, ' ').replace(/\s+/g, ' ');
  const code = ETSY_CARRIERS[key] ?? (ETSY_CARRIER_CODES.includes(name.trim().toLowerCase()) ? name.trim().toLowerCase() : undefined);
  if (!code) {
    throw new ValidationError(`Etsy does not accept the carrier "${name}". Use one of: ${ETSY_CARRIER_CODES.join(', ')}`);
  }
  return { code };
}
