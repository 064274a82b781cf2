import { ValidationError } from '../../src/errors.ts';

/**
 * Carrier codes confirmShipment accepts (`packageDetail.carrierCode`, Amazon's carrier list), keyed
 * by the names a shop types. Any other carrier goes as `Other` with its name in `carrierName`, which
 * the API allows; only a blank name is refused.
 */
const AMAZON_CARRIERS: Record<string, string> = {
  usps: 'USPS',
  ups: 'UPS',
  fedex: 'FedEx',
  dhl: 'DHL',
  'dhl express': 'DHL',
  'dhl ecommerce': 'DHL eCommerce',
  'amazon shipping': 'Amazon Shipping',
  ontrac: 'OnTrac',
  lasership: 'Lasership',
  'canada post': 'Canada Post',
  'royal mail': 'Royal Mail',
  parcelforce: 'Parcelforce',
  evri: 'Evri',
  hermes: 'Hermes',
  yodel: 'Yodel',
  'deutsche post': 'Deutsche Post',
  dpd: 'DPD',
  gls: 'GLS',
  tnt: 'TNT',
  'la poste': 'La Poste',
  colissimo: 'Colissimo',
  chronopost: 'Chronopost',
  'poste italiane': 'Poste Italiane',
  sda: 'SDA',
  correos: 'Correos',
  seur: 'SEUR',
  postnl: 'PostNL',
  'australia post': 'Australia Post',
  'japan post': 'Japan Post',
  'yamato transport': 'Yamato Transport',
  yamato: 'Yamato Transport',
  'sagawa express': 'Sagawa Express',
  sagawa: 'Sagawa Express',
  'india post': 'India Post',
  'blue dart': 'Blue Dart',
  delhivery: 'Delhivery',
};

export const AMAZON_CARRIER_CODES = [...new Set(Object.values(AMAZON_CARRIERS))].sort();

const key = (name: string) => name.trim().toLowerCase().replace(/[-_]+/g, ' ').replace(/\s+/g, ' ');

export function mapAmazonCarrier(name: string): { code: string; name?: string } {
  const trimmed = name.trim();
  if (!trimmed) throw new ValidationError(`Amazon needs a carrier name. Known codes: ${AMAZON_CARRIER_CODES.join(', ')}; any other carrier is sent as Other with its name`);
  const code = AMAZON_CARRIERS[key(trimmed)] ?? AMAZON_CARRIER_CODES.find((c) => key(c) === key(trimmed));
  return code ? { code } : { code: 'Other', name: trimmed };
}
