import { ValidationError } from '../../src/errors.ts';

/**
 * eBay's shipping carrier codes (the Trading API's ShippingCarrierDetails, which
 * createShippingFulfillment's `shippingCarrierCode` refers to), keyed by the names a shop types.
 * An unknown carrier is refused: eBay would reject it, and a wrong code sends buyers to the
 * wrong tracking page.
 */
const EBAY_CARRIERS: Record<string, string> = {
  usps: 'USPS',
  ups: 'UPS',
  fedex: 'FedEx',
  dhl: 'DHL',
  'dhl express': 'DHL',
  'royal mail': 'RoyalMail',
  parcelforce: 'Parcelforce',
  'canada post': 'CanadaPost',
  'australia post': 'AustraliaPost',
  'deutsche post': 'DeutschePost',
  dpd: 'DPD',
  gls: 'GLS',
  hermes: 'Hermes',
  evri: 'Hermes',
  yodel: 'Yodel',
  tnt: 'TNT',
  chronopost: 'Chronopost',
  colissimo: 'ColiposteDomestic',
  correos: 'Correos',
};

export const EBAY_CARRIER_CODES = [...new Set(Object.values(EBAY_CARRIERS))].sort();

export function mapEbayCarrier(name: string): { code: string } {
  const trimmed = name.trim();
  const key = trimmed.toLowerCase().replace(/[-_]+/g, ' ').replace(/\s+/g, ' ');
  const code = EBAY_CARRIERS[key] ?? EBAY_CARRIER_CODES.find((c) => c.toLowerCase() === trimmed.toLowerCase());
  if (!code) throw new ValidationError(`eBay does not accept the carrier "${name}". Use one of: ${EBAY_CARRIER_CODES.join(', ')}`);
  return { code };
}
