import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from './server.ts';
import { amazonRoutes } from './amazon/routes.ts';
import { ebayRoutes } from './ebay/routes.ts';
import { etsyRoutes } from './etsy/routes.ts';

/** Each platform's sandbox routes register here (sandbox/<platform>/routes.ts). */
export type RegisterPlatformRoutes = (app: FastifyInstance, ctx: SandboxContext) => void | Promise<void>;

export const platformRoutes: RegisterPlatformRoutes[] = [amazonRoutes, ebayRoutes, etsyRoutes].filter(
  (r): r is RegisterPlatformRoutes => r !== undefined,
);
