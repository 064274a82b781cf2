import type { Command } from 'commander';
import type { WorkerFeature } from '../../src/worker.ts';

/** The production queue feature (issue 6): intake, views, lifecycle. */
export const productionFeature: WorkerFeature = { name: 'production' };

/** `ordersync production ...` commands. */
export function registerProductionCommands(_program: Command): void {}
