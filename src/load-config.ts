import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from '../config/env.ts';

/**
 * Reads `.env` (when present; real environment variables win) and validates everything.
 * A bad config prints every problem at once and exits 2, without a stack trace.
 */
export function loadConfigOrExit(envFile = process.env.ENV_FILE ?? '.env'): Config {
  try {
    if (existsSync(envFile)) process.loadEnvFile(envFile);
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`order-sync-worker: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
