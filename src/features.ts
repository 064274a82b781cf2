import { alertsFeature } from '../jobs/alerts/index.ts';
import { fulfillmentFeature } from '../jobs/fulfillment/index.ts';
import { productionFeature } from '../jobs/production/index.ts';
import { maintenanceFeature } from '../jobs/maintenance/index.ts';
import { rereadFeature } from '../jobs/reread/index.ts';
import { reportsFeature } from '../jobs/reports/index.ts';
import type { WorkerFeature } from './worker.ts';

/** The feature modules the worker runs, in order. */
export const features: WorkerFeature[] = [productionFeature, fulfillmentFeature, rereadFeature, maintenanceFeature, alertsFeature, reportsFeature];
