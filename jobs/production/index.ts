import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { loadProductionRules, type ProductionRules } from '../../config/production.ts';
import { openCliContext } from '../../src/cli-context.ts';
import { ValidationError } from '../../src/errors.ts';
import type { WorkerFeature, WorkerServices } from '../../src/worker.ts';
import { createProductionIntake, requeueQueuedRows } from './intake.ts';
import { markFailed, markPacked, markPrinted, openPrintDesk, productionView, reprint, takeNext, type LifecycleDeps } from './lifecycle.ts';
import { parseFailedRequest, parseProductionId, parseTakeRequest } from './production-input.ts';
import { markLinesShipped } from './store.ts';

export { markLinesShipped };

const rulesCache = new Map<string, ProductionRules>();
/** The rules file, validated once per path (a bad file stops the worker at start with every problem). */
export function productionRules(path?: string): ProductionRules {
  const key = path ?? '(default)';
  let rules = rulesCache.get(key);
  if (!rules) {
    rules = loadProductionRules(path);
    rulesCache.set(key, rules);
  }
  return rules;
}

const lifecycleDeps = (s: Pick<WorkerServices, 'db' | 'queues' | 'redis' | 'prefix'>): LifecycleDeps => ({
  db: s.db,
  queues: s.queues,
  connection: s.redis,
  prefix: s.prefix,
});

/** One print desk per running worker: the routes take jobs through it, the shutdown closes it. */
const desks = new WeakMap<WorkerServices, ReturnType<typeof openPrintDesk>>();
function printDesk(s: WorkerServices) {
  let desk = desks.get(s);
  if (!desk) desks.set(s, (desk = openPrintDesk(s.redis, s.prefix)));
  return desk;
}

function productionRoutes(s: WorkerServices) {
  const rules = productionRules(s.config.productionRulesPath);
  const deps = { ...lifecycleDeps(s), desk: printDesk(s) };
  return async (root: FastifyInstance) => {
    await root.register(async (app) => {
    app.setErrorHandler((err, _req, reply) => {
      if (err instanceof ValidationError) return reply.code(400).send({ error: err.message, field: err.field });
      return reply.send(err);
    });
    app.get('/api/production', async () => productionView(s.db, rules));
    // Every input is validated before anything touches BullMQ or SQLite.
    app.post<{ Body: unknown }>('/api/production/take', async (req, reply) => {
      const job = await takeNext(deps, parseTakeRequest(req.body));
      return job ?? reply.code(204).send();
    });
    app.post<{ Params: { id: string } }>('/api/production/:id/printed', async (req) => {
      await markPrinted(deps, parseProductionId(req.params.id));
      return { ok: true };
    });
    app.post<{ Params: { id: string }; Body: unknown }>('/api/production/:id/failed', async (req) => {
      const id = parseProductionId(req.params.id);
      await markFailed(deps, id, parseFailedRequest(req.body).reason?.trim() || 'print failed');
      return { ok: true };
    });
    app.post<{ Params: { id: string } }>('/api/production/:id/reprint', async (req) => {
      await reprint(deps, parseProductionId(req.params.id));
      return { ok: true };
    });
    app.post<{ Params: { id: string } }>('/api/production/:id/packed', async (req) => {
      markPacked(s.db, parseProductionId(req.params.id));
      return { ok: true };
    });
    });
  };
}

/** The production queue: classification at intake, EDF schedule, print lifecycle. */
export const productionFeature: WorkerFeature = {
  name: 'production',
  intake: (s) => createProductionIntake({ db: s.db, queues: s.queues, rules: productionRules(s.config.productionRulesPath), log: s.log.child({ component: 'production' }) }),
  routes: productionRoutes,
  manualWorkers: (s) => [printDesk(s)],
  start: async (s) => void (await requeueQueuedRows(s.db, s.queues)),
};

function printTable(rows: ReturnType<typeof productionView>) {
  if (rows.length === 0) return console.log('no open production work');
  const lines = rows.map((r) => [
    String(r.id),
    r.schedule?.atRisk ? 'AT RISK' : '',
    r.state,
    `${r.platform} ${r.externalId}`,
    `${r.sku} x${r.quantity}`,
    r.printerGroup ?? '-',
    r.estimateMinutes ? `${r.estimateMinutes}m` : '-',
    r.schedule ? r.schedule.estimatedFinish.slice(0, 16).replace('T', ' ') : '-',
    r.shipBy ? r.shipBy.slice(0, 16).replace('T', ' ') : '-',
    [r.personalization ? `"${r.personalization.replace(/\n/g, ' / ')}"` : '', ...(r.flags ?? [])].filter(Boolean).join('; '),
  ]);
  const head = ['id', 'risk', 'state', 'order', 'item', 'group', 'est', 'finish (UTC)', 'ship by', 'notes'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const l of [head, ...lines]) console.log(l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export function registerProductionCommands(program: Command): void {
  const withContext = async (fn: (ctx: Awaited<ReturnType<typeof openCliContext>>) => Promise<void>) => {
    const ctx = await openCliContext();
    try {
      await fn(ctx);
    } finally {
      await ctx.close();
    }
  };
  const production = program.command('production').description('the 3D-print production queue');
  production
    .command('list', { isDefault: true })
    .description('open production work with estimates, at-risk first')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) =>
      withContext(async (ctx) => {
        const view = productionView(ctx.db, productionRules(ctx.config.productionRulesPath));
        if (o.json) console.log(JSON.stringify(view, null, 2));
        else printTable(view);
      }),
    );
  production
    .command('take')
    .description('take the next job (earliest ship-by first) for a printer group')
    .option('--group <group>', 'printer group')
    .option('--by <name>', 'printer or operator name')
    .action((o: { group?: string; by?: string }) =>
      withContext(async (ctx) => {
        const job = await takeNext(lifecycleDeps(ctx), parseTakeRequest({ ...o }));
        if (!job) return console.log(`nothing to print${o.group ? ` for group ${o.group}` : ''}`);
        console.log(`printing #${job.productionItemId}: ${job.name} x${job.data.quantity}`);
        if (job.data.profile) console.log(`  ${JSON.stringify(job.data.profile)}`);
        if (job.data.personalization) console.log(`  personalization: ${job.data.personalization}`);
      }),
    );
  const simple = (name: string, description: string, fn: (ctx: LifecycleDeps, id: number, extra: { reason?: string }) => Promise<void> | void) =>
    production
      .command(`${name} <id>`)
      .description(description)
      .option('--reason <text>', 'why (for failed)')
      .action((id: string, o: { reason?: string }) =>
        withContext(async (ctx) => {
          await fn(lifecycleDeps(ctx), parseProductionId(id), parseFailedRequest({ ...o }));
          console.log(`#${id}: ${name}`);
        }),
      );
  simple('printed', 'mark a printing job printed', (d, id) => markPrinted(d, id));
  simple('failed', 'mark a printing job failed', (d, id, o) => markFailed(d, id, o.reason?.trim() || 'print failed'));
  simple('reprint', 'put a failed or printed job back in the queue', (d, id) => reprint(d, id));
  simple('packed', 'mark a printed or ready-to-pack item packed', (d, id) => markPacked(d.db, id));
}
