#!/usr/bin/env -S node --experimental-strip-types --disable-warning=ExperimentalWarning
import { Command, CommanderError } from 'commander';
import { registerShipmentCommands } from '../jobs/fulfillment/index.ts';
import { registerProductionCommands } from '../jobs/production/index.ts';
import { registerDataCommands } from './data-commands.ts';
import { registerAccountsCommand } from './commands/accounts.ts';
import { registerSyncCommands } from './commands/sync.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerOrdersCommand } from './commands/orders.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerQuarantineCommand } from './commands/quarantine.ts';

/** `ordersync`: the ops command line (npm run ordersync -- <command>). */
const program = new Command('ordersync')
  .description('order-sync-worker operations: production queue, shipments, orders')
  .showHelpAfterError()
  .exitOverride();

registerProductionCommands(program);
registerShipmentCommands(program);
registerDataCommands(program);
registerSyncCommands(program);
registerAccountsCommand(program);
registerDoctorCommand(program);
registerOrdersCommand(program);
registerReportCommand(program);
registerQuarantineCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`ordersync: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
