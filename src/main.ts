import { RedisUnavailableError } from './embedded-redis.ts';
import { features } from './features.ts';
import { loadConfigOrExit } from './load-config.ts';
import { createLogger } from './logger.ts';
import { startWorker, type RunningWorker } from './worker.ts';

const config = loadConfigOrExit();
const log = createLogger({ level: config.logLevel });

// Signal handlers first: a SIGTERM that arrives while the worker is still starting waits for the
// start, then shuts down cleanly (never the default action, which would orphan the embedded Redis).
let worker: RunningWorker | undefined;
let signalled: NodeJS.Signals | undefined;
function shutdown(signal: NodeJS.Signals) {
  if (signalled) return;
  signalled = signal;
  // Last resort only: the stop below is bounded by SHUTDOWN_TIMEOUT (+5 s for cleanup).
  setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 15_000).unref();
  if (worker) void stopAndExit(worker, signal);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, shutdown);

async function stopAndExit(running: RunningWorker, signal: NodeJS.Signals) {
  try {
    await running.stop(signal);
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}

try {
  worker = await startWorker({ config, log, features });
} catch (err) {
  if (err instanceof RedisUnavailableError) {
    log.fatal(err.message);
  } else {
    log.fatal({ err }, 'worker failed to start');
  }
  process.exitCode = 1;
  await new Promise((r) => setTimeout(r, 100));
  process.exit(1);
}
if (signalled) void stopAndExit(worker, signalled);
