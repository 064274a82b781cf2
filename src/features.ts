import type { WorkerFeature } from './worker.ts';

/** The feature modules the worker runs (production queue, shipments...); each issue adds its own. */
export const features: WorkerFeature[] = [];
