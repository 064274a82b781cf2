import type { Platform } from '../adapters/types.ts';

/**
 * The sandbox's platform-neutral order model. Each platform's routes render these into that
 * platform's wire format; the generator knows nothing of any API.
 */
export type SandboxOrderState = 'pending' | 'unshipped' | 'partially_shipped' | 'shipped' | 'cancelled';

export interface SandboxLine {
  lineId: string;
  sku: string | null;
  title: string;
  quantity: number;
  quantityShipped: number;
  unitPriceMinor: number;
  personalization?: string;
  variations?: Record<string, string>;
  listingId: string;
  productId: string;
}

export interface SandboxShipment {
  id: string;
  carrier: string;
  trackingNumber: string;
  shippedAt: string;
  lines: { lineId: string; quantity: number }[];
  note?: string;
}

export interface SandboxOrder {
  platform: Platform;
  id: string;
  /** Numeric form for platforms with numeric ids (Etsy receipts). */
  numericId: number;
  createdAt: string;
  updatedAt: string;
  state: SandboxOrderState;
  paid: boolean;
  /** The buyer asked to cancel and the seller has not answered (eBay shows it; others ignore it). */
  cancelRequested?: boolean;
  currency: string;
  /** Minor-unit exponent of the currency (JPY 0, USD 2). */
  exponent: number;
  shippingMinor: number;
  taxMinor: number;
  buyer: { name: string; email: string; username: string };
  address: { name: string; line1: string; line2?: string; city: string; region: string; postalCode: string; countryCode: string; phone?: string };
  shipBy: string;
  giftMessage?: string;
  buyerNote?: string;
  lines: SandboxLine[];
  shipments: SandboxShipment[];
}

/** Deterministic PRNG (mulberry32) so a seed reproduces a run. */
export function createRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}
export type Random = ReturnType<typeof createRandom>;

/** The sandbox catalogue: 3D-print SKUs (3DP-*) next to regular stock. */
export const CATALOG = [
  { sku: '3DP-PLANTER-S', title: '3D printed planter, small', priceMinor: 1499, print: true, variations: { Color: ['Blue', 'Red', 'Black', 'White'] } },
  { sku: '3DP-PLANTER-L', title: '3D printed planter, large', priceMinor: 2999, print: true, variations: { Color: ['Blue', 'Red', 'Black'] } },
  { sku: '3DP-NAMESIGN', title: 'Personalized 3D printed name sign', priceMinor: 2450, print: true, personalized: true, variations: { Size: ['Small', 'Large'] } },
  { sku: '3DP-KEYCHAIN', title: 'Custom 3D printed keychain', priceMinor: 899, print: true, personalized: true },
  { sku: '3DP-MINI-DRAGON', title: 'Articulated dragon miniature (3D printed)', priceMinor: 1999, print: true },
  { sku: 'STICKER-PACK', title: 'Vinyl sticker pack', priceMinor: 599, print: false },
  { sku: 'GIFT-CARD-PRINTED', title: 'Printed gift card', priceMinor: 299, print: false },
  { sku: null, title: 'Legacy listing without SKU: desk organizer', priceMinor: 1799, print: false },
] as const;

const NAMES = ['Ada Lovelace', 'Grace Hopper', 'Søren Kierkegaard', 'Zoë Müller', 'José Álvarez', 'Chloé Dubois', 'Björn Ångström', '山田 太郎'];
const PERSONALIZATION = ['Emma', 'Happy 30th, Noah! 🎉', 'Zoë & Léo\nEst. 2024', 'Für Oma ❤️', 'Björn', 'TEAM ROCKET 🚀', 'Ça va? — María'];
const CURRENCIES: Record<Platform, { code: string; exponent: number; country: string }[]> = {
  amazon: [
    { code: 'USD', exponent: 2, country: 'US' },
    { code: 'EUR', exponent: 2, country: 'DE' },
    { code: 'JPY', exponent: 0, country: 'JP' },
  ],
  ebay: [
    { code: 'USD', exponent: 2, country: 'US' },
    { code: 'GBP', exponent: 2, country: 'GB' },
  ],
  etsy: [
    { code: 'USD', exponent: 2, country: 'US' },
    { code: 'EUR', exponent: 2, country: 'FR' },
    { code: 'GBP', exponent: 2, country: 'GB' },
  ],
};

export interface GenerateOptions {
  platform: Platform;
  seq: number;
  now: Date;
  random: Random;
  /** Force a state instead of the usual mix. */
  state?: SandboxOrderState;
  /** Lines per order are 1..maxLines (default 3). */
  maxLines?: number;
}

export function generateOrder({ platform, seq, now, random, state, maxLines = 3 }: GenerateOptions): SandboxOrder {
  const cur = random.pick(CURRENCIES[platform]);
  const scale = (minor: number) => (cur.exponent === 0 ? Math.round(minor * 1.5) : minor);
  const lineCount = random.int(1, maxLines);
  const lines: SandboxLine[] = [];
  for (let i = 0; i < lineCount; i++) {
    const product = random.pick(CATALOG);
    const variations: Record<string, string> = {};
    if ('variations' in product) for (const [k, values] of Object.entries(product.variations)) variations[k] = random.pick(values);
    lines.push({
      lineId: `${seq}${String(i + 1).padStart(2, '0')}${random.int(100, 999)}`,
      sku: product.sku,
      title: product.title,
      quantity: random.chance(0.25) ? random.int(2, 4) : 1,
      quantityShipped: 0,
      unitPriceMinor: scale(product.priceMinor),
      personalization: 'personalized' in product ? random.pick(PERSONALIZATION) : undefined,
      variations: Object.keys(variations).length ? variations : undefined,
      listingId: String(1_000_000_000 + CATALOG.indexOf(product)),
      productId: String(20_000_000_000 + CATALOG.indexOf(product)),
    });
  }
  const name = random.pick(NAMES);
  const picked: SandboxOrderState =
    state ?? (random.chance(0.1) ? 'pending' : random.chance(0.05) ? 'cancelled' : 'unshipped');
  const created = new Date(now.getTime() - random.int(0, 120) * 1000);
  const ts = created.toISOString();
  return {
    platform,
    id: '',
    numericId: 0,
    createdAt: ts,
    updatedAt: ts,
    state: picked,
    paid: picked !== 'pending',
    currency: cur.code,
    exponent: cur.exponent,
    shippingMinor: scale(random.pick([0, 399, 599])),
    taxMinor: 0,
    buyer: { name, email: `buyer${seq}@example.com`, username: `buyer_${seq}` },
    address: {
      name,
      line1: `${random.int(1, 999)} Example Street`,
      line2: random.chance(0.3) ? `Apt ${random.int(1, 40)}` : undefined,
      city: 'Springfield',
      region: cur.country === 'US' ? 'IL' : 'N/A',
      postalCode: cur.country === 'JP' ? '100-0001' : '62701',
      countryCode: cur.country,
      phone: random.chance(0.5) ? '+1 555 0100' : undefined,
    },
    shipBy: new Date(created.getTime() + random.int(1, 5) * 86_400_000).toISOString(),
    giftMessage: random.chance(0.1) ? 'Happy birthday! 🎂' : undefined,
    buyerNote: random.chance(0.1) ? 'Please pack carefully' : undefined,
    lines,
    shipments: [],
  };
}

/** Totals in minor units, as every platform renders them. */
export function orderTotals(o: SandboxOrder) {
  const subtotal = o.lines.reduce((s, l) => s + l.unitPriceMinor * l.quantity, 0);
  return { subtotal, shipping: o.shippingMinor, tax: o.taxMinor, total: subtotal + o.shippingMinor + o.taxMinor };
}

/** Decimal string of a minor amount ("12.34", "1500"), the way Amazon and eBay send money. */
export function minorToDecimal(minor: number, exponent: number): string {
  if (exponent === 0) return String(minor);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor).toString().padStart(exponent + 1, '0');
  return `${sign}${abs.slice(0, -exponent)}.${abs.slice(-exponent)}`;
}
