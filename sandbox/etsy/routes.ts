import type { RegisterPlatformRoutes } from '../platforms.ts';

/** The Etsy sandbox routes (filled in by the Etsy adapter issue). */
export const etsyRoutes: RegisterPlatformRoutes | undefined = undefined;
