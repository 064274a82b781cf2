import type { RegisterPlatformRoutes } from '../platforms.ts';

/** The Ebay sandbox routes (filled in by the Ebay adapter issue). */
export const ebayRoutes: RegisterPlatformRoutes | undefined = undefined;
