import type { AdapterFactory } from '../registry.ts';

/** The Etsy adapter's factory (filled in by the Etsy adapter issue). */
export const etsyFactory: AdapterFactory | undefined = undefined;
