import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { exitCodeOf, formatReport } from './doctor/check.ts';
import { runDoctor } from './doctor/run.ts';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description("checks before going live: config, Redis, SQLite, and each account's credentials and permissions (exit 1 on any FAIL)")
    .option('--json', 'print the checks as JSON')
    .action(async (o: { json?: boolean }) => {
      // Not loadConfigOrExit: a broken config is one of the findings, not the end of the report.
      const envFile = process.env.ENV_FILE ?? '.env';
      if (existsSync(envFile)) process.loadEnvFile(envFile);
      const checks = await runDoctor({ env: process.env });
      const code = exitCodeOf(checks);
      process.stdout.write(o.json ? `${JSON.stringify({ ok: code === 0, checks }, null, 2)}\n` : formatReport(checks));
      process.exitCode = code;
    });
}
