import { RedisUnavailableError } from './embedded-redis.ts';
import { features } from './features.ts';
import { loadConfigOrExit } from './load-config.ts';
import { createLogger } from './logger.ts';
import { startWorker } from './worker.ts';

const config = loadConfigOrExit();
const log = createLogger({ level: config.logLevel });

let worker;
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

const running = worker;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 10_000);
    force.unref();
    running
      .stop(signal)
      .then(() => process.exit(0))
      .catch((err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  });
}
