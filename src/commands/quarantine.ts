import type { Command } from 'commander';
import { getQuarantined, listQuarantine, type QuarantineEntry } from '../../db/quarantine.ts';
import { combineIntakes } from '../../jobs/intake.ts';
import { retryAllQuarantined, retryQuarantined, type RetryOutcome } from '../../jobs/quarantine/retry.ts';
import { openCliContext } from '../cli-context.ts';
import { ValidationError } from '../errors.ts';
import { features } from '../features.ts';
import { echo, idParam, parseInput } from '../input.ts';
import { createLogger } from '../logger.ts';
import type { WorkerServices } from '../worker.ts';
import { printJson, printTable, shortTime } from './columns.ts';
import { withDatabase } from './database.ts';

/** The value a refusal names, looked up in the payload (`items[2].sku`); Amazon's record wraps the order. */
export function valueAtField(payload: unknown, field: string | null): { found: boolean; value?: unknown } {
  if (!field) return { found: false };
  const steps = field.match(/[^.[\]]+/g) ?? [];
  const walk = (from: unknown) => {
    let at: unknown = from;
    for (const step of steps) {
      if (at === null || typeof at !== 'object' || !Object.hasOwn(at, step)) return { found: false };
      at = (at as Record<string, unknown>)[step];
    }
    return { found: true, value: at };
  };
  const direct = walk(payload);
  if (direct.found) return direct;
  const inner = payload && typeof payload === 'object' && 'order' in payload ? walk((payload as { order: unknown }).order) : direct;
  return inner;
}

function printList(entries: QuarantineEntry[]) {
  if (entries.length === 0) return console.log('nothing in quarantine');
  printTable(
    [{ head: 'id', align: 'right' }, { head: 'platform' }, { head: 'order' }, { head: 'field' }, { head: 'reason', shrink: true }, { head: 'since' }],
    entries.map((e) => [String(e.id), e.platform, e.externalId ?? '(no id)', e.field ?? '-', e.reason, shortTime(e.createdAt).slice(0, 10)]),
  );
  console.log('quarantine show ID: the whole reason and the refused value');
  console.log("quarantine retry ID (or --all): run it through today's code again");
}

function describeOutcome(r: RetryOutcome): string {
  const order = `#${r.id} ${r.accountId} ${r.externalId ?? '(no id)'}`;
  if (r.outcome === 'stored') return `${order}: passes now, stored as order ${r.orderId} (${r.change})`;
  if (r.outcome === 'already resolved') return `${order}: already resolved at ${r.resolvedAt}`;
  return `${order}: still refused: ${r.reason}`;
}

export function registerQuarantineCommand(program: Command): void {
  const quarantine = program.command('quarantine').description('orders the worker refused to store, why (the field named), and retrying them');

  quarantine
    .command('list', { isDefault: true })
    .description('unresolved quarantined orders, oldest first')
    .option('--all', 'resolved ones too')
    .option('--json', 'print JSON')
    .action((o: { all?: boolean; json?: boolean }) =>
      withDatabase((db) => {
        const entries = listQuarantine(db, { includeResolved: o.all });
        if (o.json) printJson(entries);
        else printList(entries);
      }),
    );

  quarantine
    .command('show <id>')
    .description('one quarantined order: the reason, the field and its value')
    .option('--payload', 'print the whole stored payload (it holds the buyer\'s personal data)')
    .option('--json', 'print JSON (the entry, the refused value; the payload with --payload)')
    .action((id: string, o: { payload?: boolean; json?: boolean }) =>
      withDatabase((db) => {
        const n = parseInput(idParam, id, 'id');
        const entry = getQuarantined(db, n);
        if (!entry) throw new ValidationError(`no quarantined order ${n}; list them with: ordersync quarantine list`, 'id');
        const { payload, ...rest } = entry;
        const at = valueAtField(payload, entry.field);
        if (o.json) return printJson({ ...rest, value: at.found ? at.value : undefined, ...(o.payload ? { payload } : {}) });
        console.log(`#${entry.id} ${entry.platform} order ${entry.externalId ?? '(no id)'} (account ${entry.accountId})`);
        console.log(`  refused:  ${echo(entry.reason, 500)}`);
        console.log(`  field:    ${entry.field ?? '(none named)'}`);
        if (entry.field) console.log(`  value:    ${at.found ? echo(JSON.stringify(at.value) ?? 'undefined', 300) : '(absent from the payload)'}`);
        console.log(`  since:    ${shortTime(entry.createdAt)}${entry.updatedAt !== entry.createdAt ? `, last tried ${shortTime(entry.updatedAt)}` : ''}`);
        console.log(`  resolved: ${entry.resolvedAt ? shortTime(entry.resolvedAt) : 'no'}`);
        if (o.payload) for (const line of JSON.stringify(payload, null, 2).split('\n')) console.log(echo(line, 10_000));
      }),
    );

  quarantine
    .command('retry [id]')
    .description("run a quarantined order (or --all) through today's normalizer; stored when it passes")
    .option('--all', 'every unresolved entry')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, o: { all?: boolean; json?: boolean }) => {
      if (!o.all === (id === undefined)) throw new ValidationError('name one entry (retry ID) or use --all', 'id');
      const n = id === undefined ? undefined : parseInput(idParam, id, 'id');
      // Redis too: an order that passes gets its production work queued as a poll would queue it.
      const ctx = await openCliContext();
      try {
        const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: false, destination: process.stderr });
        const services: WorkerServices = { config: ctx.config, db: ctx.db, redis: ctx.redis, redisTarget: ctx.redisTarget, queues: ctx.queues, prefix: ctx.prefix, adapters: [], log };
        const intake = combineIntakes(features.flatMap((f) => (f.intake ? [f.intake(services)] : [])));
        const deps = { db: ctx.db, config: ctx.config, intake, log };
        const outcomes = n === undefined ? await retryAllQuarantined(deps) : [await retryQuarantined(deps, n)];
        if (o.json) printJson(outcomes);
        else if (outcomes.length === 0) console.log('nothing in quarantine');
        else for (const r of outcomes) console.log(describeOutcome(r));
        if (outcomes.some((r) => r.outcome === 'still failing')) process.exitCode = 1;
      } finally {
        await ctx.close();
      }
    });
}
