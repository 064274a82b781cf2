#!/usr/bin/env -S node --experimental-strip-types --disable-warning=ExperimentalWarning
import { Command, CommanderError } from 'commander';
import { registerShipmentCommands } from '../jobs/fulfillment/index.ts';
import { registerProductionCommands } from '../jobs/production/index.ts';
import { registerDataCommands } from './data-commands.ts';

/** `ordersync`: the ops command line (npm run ordersync -- <command>). */
const program = new Command('ordersync')
  .description('order-sync-worker operations: production queue, shipments, orders')
  .showHelpAfterError()
  .exitOverride();

registerProductionCommands(program);
registerShipmentCommands(program);
registerDataCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`ordersync: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
