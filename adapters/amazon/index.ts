import type { AdapterFactory } from '../registry.ts';

/** The Amazon adapter's factory (filled in by the Amazon adapter issue). */
export const amazonFactory: AdapterFactory | undefined = undefined;
