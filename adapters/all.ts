import { amazonFactory } from './amazon/index.ts';
import { ebayFactory } from './ebay/index.ts';
import { etsyFactory } from './etsy/index.ts';
import type { AdapterFactory } from './registry.ts';

/** Every platform's adapter factory, loaded at once: for tests and benchmarks (the worker loads lazily, registry.ts). */
export const adapterFactories: AdapterFactory[] = [amazonFactory, ebayFactory, etsyFactory];
