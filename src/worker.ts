import { rmSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createAdapters } from '../adapters/registry.ts';
import type { MarketplaceAdapter } from '../adapters/types.ts';
import type { Config } from '../config/env.ts';
import { closeDatabase, openDatabase, type Db } from '../db/connection.ts';
import { closeOrderSealer } from '../db/order-sealer.ts';
import { createRedis, logConnectionState, type RedisTarget } from '../jobs/connection.ts';
import { createPollWorker } from '../jobs/poll-worker.ts';
import { combineIntakes } from '../jobs/intake.ts';
import type { OrderIntake } from '../jobs/poll.ts';
import { closeQueues, createQueues, type Queues } from '../jobs/queues.ts';
import { scheduleAccountPolls } from '../jobs/schedulers.ts';
import type { Sandbox } from '../sandbox/server.ts';
import { setRateScale, type LimiterScope } from '../adapters/limiter.ts';
import { openSharedLimits } from '../jobs/shared-limits.ts';
import { ShutdownError } from './errors.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.ts';
import { createHttpServer } from './http-server.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { scrapeSources } from './metrics-sources.ts';
import { registerSecret } from './logger.ts';
import { configSecrets } from '../config/env.ts';
import { countNotUnder } from '../db/personal-data.ts';
import { protectDataDir } from '../db/protect.ts';
import { loadDataKeys, removeStalePidFiles, sandboxUrlFile, workerPidFile } from './data-keys.ts';
import type { Worker } from 'bullmq';
import { startPeriodicTasks, type PeriodicTask } from '../jobs/periodic.ts';

export interface WorkerOptions {
  config: Config;
  log: Logger;
  /** Redis key prefix for every queue; overrides REDIS_PREFIX (tests). */
  prefix?: string;
  /** Tests inject adapters (the in-memory fake); otherwise built from config. */
  adapters?: (ctx: { db: Db; sandboxUrl?: string; limiterScope: LimiterScope }) => MarketplaceAdapter[];
  /** Feature modules plug in here (production intake, fulfillment worker, API routes). */
  features?: WorkerFeature[];
}

export interface WorkerServices {
  config: Config;
  db: Db;
  redis: Redis;
  redisTarget: RedisTarget;
  queues: Queues;
  prefix: string;
  adapters: MarketplaceAdapter[];
  log: Logger;
  /** Every feature's intake combined: what a poll hands changed orders to (also used by re-reads). */
  intake?: OrderIntake;
  /** The worker's Prometheus metrics, served at /metrics (a benchmark's services have none). */
  metrics?: Metrics;
}

export interface WorkerFeature {
  name: string;
  intake?: (s: WorkerServices) => OrderIntake;
  workers?: (s: WorkerServices) => Worker[];
  routes?: (s: WorkerServices) => (app: FastifyInstance) => void | Promise<void>;
  start?: (s: WorkerServices) => Promise<void>;
  /** An account that was unhealthy polled successfully again. */
  accountHealthy?: (s: WorkerServices, accountId: string) => Promise<void>;
  /** Workers that take jobs by hand (no processor): never run, closed with the others at shutdown. */
  manualWorkers?: (s: WorkerServices) => Worker[];
  /** Housekeeping this feature runs on a schedule (the maintenance queue). */
  periodic?: (s: WorkerServices) => PeriodicTask[];
}

export interface RunningWorker extends WorkerServices {
  http: FastifyInstance;
  httpUrl: string;
  sandbox?: Sandbox;
  stop(reason?: string): Promise<void>;
}

/** Wires the whole process together; `stop` undoes it in reverse order. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { config, log } = options;
  for (const secret of configSecrets(config)) registerSecret(secret);

  const cleanups: (() => Promise<void> | void)[] = [];
  // Aborted first thing at stop: calls waiting for a rate-limit token or a retry delay end at once
  // (nothing was sent; the next run resumes from the cursor) instead of holding the shutdown.
  const shutdown = new AbortController();
  // Bounded: every step runs, in reverse order of start, each within what is left of the budget (at
  // least a second), so a stuck one (a job that will not finish, a limiter holding a request) never
  // keeps the embedded Redis from being stopped or the database from being closed.
  /** Runs every step; returns how many failed or did not finish in time (0: a clean shutdown). */
  const cleanup = async (): Promise<number> => {
    const end = Date.now() + config.shutdownTimeoutMs + 5_000;
    let unfinished = 0;
    for (const fn of cleanups.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), Math.max(1_000, end - Date.now()))));
      const step = Promise.resolve()
        .then(fn)
        .then(
          () => 'done' as const,
          (err: unknown) => (log.warn({ err }, 'a shutdown step failed; going on'), 'failed' as const),
        );
      const outcome = await Promise.race([step, late]);
      if (outcome === 'late') log.warn('a shutdown step did not finish in time; going on');
      if (outcome !== 'done') unfinished += 1;
      clearTimeout(timer);
    }
    return unfinished;
  };
  try {
    protectDataDir(config.dataDir, config.databasePath);
    removeStalePidFiles(config.dataDir);
    writeFileSync(workerPidFile(config.dataDir), `${process.pid}\n`);
    cleanups.push(() => rmSync(workerPidFile(config.dataDir), { force: true }));
    const keys = loadDataKeys(config);
    const db = openDatabase(config.databasePath, keys);
    protectDataDir(config.dataDir, config.databasePath); // the files SQLite just created
    const unsealed = countNotUnder(db, keys);
    if (unsealed > 0) {
      log.warn({ values: unsealed }, 'personal data stored before encryption or under an older key: stop the worker and run `npm run ordersync -- keys rotate` to seal it with the current key');
    }
    cleanups.push(() => closeDatabase(db));
    cleanups.push(() => closeOrderSealer()); // after the workers: a page being sealed there is waited for

    let redisTarget: RedisTarget;
    if (config.redisUrl) {
      redisTarget = { url: config.redisUrl };
    } else {
      const embedded: EmbeddedRedis = await startEmbeddedRedis(config.dataDir, log);
      cleanups.push(() => embedded.stop());
      redisTarget = { path: embedded.socketPath };
    }
    const redis = createRedis(redisTarget, { connectionName: 'osw-main' });
    logConnectionState(redis, 'main', log);
    cleanups.push(() => void redis.disconnect());
    await redis.ping();

    let sandbox: Sandbox | undefined;
    let sandboxUrl = config.sandboxUrl;
    if (config.sandboxMode) {
      setRateScale(config.sandboxRateScale);
      if (!sandboxUrl) {
        // Loaded only in sandbox mode: a live shop's worker never loads the sandbox's code.
        const { startSandbox } = await import('../sandbox/server.ts');
        sandbox = await startSandbox({ generateEveryMs: 20_000, initialOrders: 5, rateScale: config.sandboxRateScale });
        cleanups.push(() => sandbox!.close());
        sandboxUrl = sandbox.url;
        // `ordersync sync` and `backfill` reach this sandbox through the file.
        writeFileSync(sandboxUrlFile(config.dataDir), `${sandboxUrl}\n`);
        cleanups.push(() => rmSync(sandboxUrlFile(config.dataDir), { force: true }));
      }
      log.warn({ sandboxUrl }, 'SANDBOX MODE: no marketplace credentials configured; polling the built-in marketplace sandbox');
    }

    const prefix = options.prefix ?? config.redisPrefix;
    const queues = createQueues({ connection: redis, prefix });
    for (const q of Object.values(queues)) logConnectionState(q, `queue ${q.name}`, log);
    cleanups.push(() => closeQueues(queues));

    // Rate limits live in Redis, shared by every worker process on it and kept across restarts.
    const limits = openSharedLimits(redisTarget, prefix, shutdown.signal, log);
    cleanups.push(() => limits.close());
    const metrics = createMetrics();
    const limiterScope: LimiterScope = { ...limits.scope, metrics };

    const adapters = options.adapters
      ? options.adapters({ db, sandboxUrl, limiterScope })
      : await createAdapters(config, { db, log, sandboxUrl, rateLimitPerMinute: config.rateLimitPerMinute, cacheTtlSeconds: config.cacheTtlSeconds, limiterScope });
    cleanups.push(async () => {
      for (const a of adapters) await a.close?.();
    });
    if (adapters.length === 0) log.warn('no marketplace adapters are enabled; nothing will be polled');

    metrics.readFrom(scrapeSources({ db, queues, adapters, productionRulesPath: config.productionRulesPath }));
    const services: WorkerServices = { config, db, redis, redisTarget, queues, prefix, adapters, log, metrics };
    const features = options.features ?? [];
    const intakes = features.flatMap((f) => (f.intake ? [f.intake(services)] : []));
    const intake = combineIntakes(intakes);
    services.intake = intake;

    const workerConnection = createRedis(redisTarget, { connectionName: 'osw-workers' });
    logConnectionState(workerConnection, 'workers', log);
    cleanups.push(() => void workerConnection.disconnect());
    const onAccountHealthy = async (accountId: string) => {
      for (const f of features) await f.accountHealthy?.(services, accountId);
    };
    const pollWorker = createPollWorker({ db, adapters, intake, onAccountHealthy, metrics, log: log.child({ component: 'poll' }), connection: workerConnection, locks: redis, prefix, queue: queues.poll });
    const workers: Worker[] = [pollWorker, ...features.flatMap((f) => f.workers?.(services) ?? [])];
    for (const w of workers) logConnectionState(w, `worker ${w.name}`, log);
    pollWorker.on('failed', (job, err) => log.warn({ job: job?.name, err }, 'poll failed'));
    // Workers close first on stop, letting a running job finish (bounded by SHUTDOWN_TIMEOUT).
    const manualWorkers = features.flatMap((f) => f.manualWorkers?.(services) ?? []);
    for (const w of manualWorkers) logConnectionState(w, `desk ${w.name}`, log);
    cleanups.push(() => closeWorkers([...workers, ...manualWorkers], config.shutdownTimeoutMs, log));

    for (const f of features) await f.start?.(services);
    await intake?.flush();
    const periodic = await startPeriodicTasks(
      features.flatMap((f) => f.periodic?.(services) ?? []),
      { queues, connection: workerConnection, prefix, log },
    );
    logConnectionState(periodic, `worker ${periodic.name}`, log);
    workers.push(periodic); // run and closed with the others

    const http = await createHttpServer({
      host: config.http.host,
      port: config.http.port,
      adminUser: config.http.adminUser,
      allowedHosts: config.http.allowedHosts,
      trustProxy: config.http.trustProxy,
      adminPassword: config.http.adminPassword,
      queues,
      redis,
      db,
      log,
      metrics,
      routes: features.flatMap((f) => (f.routes ? [f.routes(services)] : [])),
    });
    cleanups.push(() => http.close());
    const httpUrl = await http.listen({ host: config.http.host, port: config.http.port });

    for (const w of workers) void w.run();
    await scheduleAccountPolls(queues, adapters, config.pollIntervalMs);
    log.info({ httpUrl, board: `${httpUrl}/admin/queues`, accounts: adapters.map((a) => `${a.platform}:${a.accountId}`) }, 'worker started');

    let stopping: Promise<void> | undefined;
    return {
      ...services,
      http,
      httpUrl,
      sandbox,
      stop: (reason = 'stop requested') => {
        stopping ??= (async () => {
          log.info({ reason }, 'shutting down');
          shutdown.abort(new ShutdownError(reason));
          const unfinished = await cleanup();
          if (unfinished === 0) {
            log.info('shut down cleanly');
          } else {
            log.error({ unfinished }, `shut down with ${unfinished} step(s) failed or unfinished; see the lines above`);
            throw new Error(`${unfinished} shutdown step(s) failed or did not finish`);
          }
        })();
        return stopping;
      },
    };
  } catch (err) {
    shutdown.abort(new ShutdownError('the start failed'));
    await cleanup().catch(() => 0);
    throw err;
  }
}

async function closeWorkers(workers: Worker[], timeoutMs: number, log: Logger) {
  const graceful = Promise.all(workers.map((w) => w.close()));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), timeoutMs)));
  const outcome = await Promise.race([graceful.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    // The unfinished job stays in Redis as active; BullMQ's stalled check hands it back on restart.
    log.warn({ timeoutMs }, 'running jobs did not finish in time; closing anyway');
    // A forced close can still wait on the stuck processor; the job is Redis's to hand back (stalled
    // check) on the next start, so the shutdown does not wait for it.
    await Promise.race([Promise.all(workers.map((w) => w.close(true))), new Promise((res) => setTimeout(res, 1_000).unref())]);
  }
}
