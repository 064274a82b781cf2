import type { RegisterPlatformRoutes } from '../platforms.ts';

/** The Amazon sandbox routes (filled in by the Amazon adapter issue). */
export const amazonRoutes: RegisterPlatformRoutes | undefined = undefined;
