import type { Command } from 'commander';
import type { WorkerFeature } from '../../src/worker.ts';

/** The shipments feature (issue 7): record shipments, push tracking exactly once, order views. */
export const fulfillmentFeature: WorkerFeature = { name: 'fulfillment' };

/** `ordersync ship ...` and `ordersync order ...` commands. */
export function registerShipmentCommands(_program: Command): void {}
