import type { AdapterFactory } from '../registry.ts';

/** The Ebay adapter's factory (filled in by the Ebay adapter issue). */
export const ebayFactory: AdapterFactory | undefined = undefined;
