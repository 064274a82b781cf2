import { randomUUID } from 'node:crypto';
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import { eq, inArray } from 'drizzle-orm/sql';
import type { ProductionRules } from '../../config/production.ts';
import { withWriteRetry, type Db } from '../../db/connection.ts';
import { recordEvent } from '../../db/events.ts';
import { productionItems } from '../../db/schema.ts';
import { compareCodeUnits } from '../../src/compare.ts';
import { ValidationError } from '../../src/errors.ts';
import type { ProductionJobData, Queues } from '../queues.ts';
import { scheduleJobs, type ScheduledJob } from './schedule.ts';
import { productionRows, setRow, type ProductionRow } from './store.ts';

/** A printing job holds its BullMQ lock while the print runs: days, not seconds. */
const PRINT_LOCK_MS = 7 * 86_400_000;

export interface LifecycleDeps {
  db: Db;
  queues: Queues;
  connection: ConnectionOptions;
  prefix: string;
  /** The worker process's print desk (see `openPrintDesk`); a CLI call opens a desk of its own. */
  desk?: Worker<ProductionJobData>;
}

/**
 * The production queue's taker by hand: a BullMQ worker without a processor (manual processing) that
 * never runs on its own. The worker process keeps one open, so Bull Board shows the queue as served
 * (not an orange "No workers") while jobs wait for a person to take them.
 */
export const openPrintDesk = (connection: ConnectionOptions, prefix: string) =>
  new Worker<ProductionJobData>('production', null, { connection, prefix, lockDuration: PRINT_LOCK_MS, autorun: false });

function row(db: Db, id: number): ProductionRow {
  const r = productionRows(db, eq(productionItems.id, id))[0];
  if (!r) throw new ValidationError(`no production item ${id}; list them with: ordersync production`);
  return r;
}

async function jobOf(deps: LifecycleDeps, r: ProductionRow): Promise<Job<ProductionJobData>> {
  const job = r.jobId ? await deps.queues.production.getJob(r.jobId) : undefined;
  if (!job) throw new ValidationError(`production item ${r.id} has no job in the queue (state ${r.state})`);
  return job as Job<ProductionJobData>;
}

/**
 * Takes the next job (earliest ship-by first) for a printer, as BullMQ manual processing: the job
 * becomes active under a lock token we keep, so Bull Board shows it printing. Jobs of another
 * printer group that come first are put straight back, keeping their priority.
 */
export async function takeNext(deps: LifecycleDeps, opts: { group?: string; by?: string } = {}) {
  const worker = deps.desk ?? openPrintDesk(deps.connection, deps.prefix);
  const token = randomUUID();
  const skipped: Job<ProductionJobData>[] = [];
  try {
    for (;;) {
      const job = (await worker.getNextJob(token, { block: false })) as Job<ProductionJobData> | undefined;
      if (!job) return undefined;
      if (opts.group && job.data.printerGroup !== opts.group) {
        skipped.push(job);
        continue;
      }
      // Never hand out work whose order has shipped or been cancelled since it was queued: the job
      // leaves the queue (completed as skipped) and its row says why.
      const r = productionRows(deps.db, eq(productionItems.id, job.data.productionItemId))[0];
      const gone = !r ? 'its production item is gone' : r.state !== 'queued' ? `it is ${r.state}` : r.orderStatus === 'shipped' || r.orderStatus === 'cancelled' ? `the order is ${r.orderStatus}` : undefined;
      if (gone) {
        await job.moveToCompleted({ skipped: gone }, token, false);
        if (r?.state === 'queued') setRow(deps.db, r.id, { state: r.orderStatus === 'cancelled' ? 'cancelled' : 'shipped' });
        continue;
      }
      const startedAt = new Date().toISOString();
      try {
        await withWriteRetry(() =>
          deps.db.$client.transaction(() => {
            setRow(deps.db, job.data.productionItemId, { state: 'printing', lockToken: token, takenBy: opts.by ?? null, startedAt });
            recordEvent(deps.db, { type: 'production.printing', orderId: job.data.orderId, message: `${job.name} taken${opts.by ? ` by ${opts.by}` : ''}` });
          }).immediate(),
        );
      } catch (err) {
        skipped.push(job); // SQLite could not record it: the job goes back, never active behind a queued row
        throw err;
      }
      return { productionItemId: job.data.productionItemId, jobId: job.id!, name: job.name, data: job.data };
    }
  } finally {
    for (const job of skipped) await job.moveToWait(token);
    if (worker !== deps.desk) await worker.close();
  }
}

export async function markPrinted(deps: LifecycleDeps, id: number) {
  const r = row(deps.db, id);
  if (r.state !== 'printing' || !r.lockToken) throw new ValidationError(`production item ${id} is ${r.state}, not printing`);
  const job = await jobOf(deps, r);
  await job.moveToCompleted({ printedAt: new Date().toISOString() }, r.lockToken, false);
  await withWriteRetry(() => setRow(deps.db, id, { state: 'printed', lockToken: null, printedAt: new Date().toISOString() }));
  recordEvent(deps.db, { type: 'production.printed', orderId: r.orderId, message: `${r.externalId} ${r.sku} printed` });
}

export async function markFailed(deps: LifecycleDeps, id: number, reason: string) {
  const r = row(deps.db, id);
  if (r.state !== 'printing' || !r.lockToken) throw new ValidationError(`production item ${id} is ${r.state}, not printing`);
  const job = await jobOf(deps, r);
  await job.moveToFailed(new Error(reason || 'print failed'), r.lockToken, false);
  await withWriteRetry(() => setRow(deps.db, id, { state: 'failed', lockToken: null }));
  recordEvent(deps.db, { type: 'production.failed', orderId: r.orderId, message: `${r.externalId} ${r.sku} failed: ${reason}` });
}

/** A failed (or printed but bad) job goes back to the queue to be printed again. */
export async function reprint(deps: LifecycleDeps, id: number) {
  const r = row(deps.db, id);
  if (r.state !== 'failed' && r.state !== 'printed') throw new ValidationError(`production item ${id} is ${r.state}; only failed or printed items can be reprinted`);
  const job = await jobOf(deps, r);
  await job.retry(r.state === 'failed' ? 'failed' : 'completed');
  await withWriteRetry(() => setRow(deps.db, id, { state: 'queued', lockToken: null, startedAt: null, printedAt: null }));
  recordEvent(deps.db, { type: 'production.reprint', orderId: r.orderId, message: `${r.externalId} ${r.sku} queued again` });
}

export function markPacked(db: Db, id: number) {
  const r = row(db, id);
  if (r.state !== 'printed' && r.state !== 'ready_to_pack') throw new ValidationError(`production item ${id} is ${r.state}; only printed or ready-to-pack items can be packed`);
  setRow(db, id, { state: 'packed' });
}

export interface ProductionView extends ProductionRow {
  schedule?: Pick<ScheduledJob, 'printer' | 'estimatedStart' | 'estimatedFinish' | 'atRisk'>;
}

/** The open production work with its schedule, at-risk first, then by estimated finish. */
export function productionView(db: Db, rules: ProductionRules, now = new Date()): ProductionView[] {
  const open = productionRows(db, inArray(productionItems.state, ['queued', 'printing', 'printed', 'ready_to_pack', 'failed']));
  const schedule = scheduleJobs(
    open
      .filter((r) => r.kind === 'print' && (r.state === 'queued' || r.state === 'printing'))
      .map((r) => ({
        id: String(r.id),
        printerGroup: r.printerGroup ?? 'default',
        estimateMinutes: r.estimateMinutes ?? 60,
        shipBy: r.shipBy,
        startedAt: r.state === 'printing' ? r.startedAt : null,
      })),
    rules.printers,
    now,
  );
  const byId = new Map(schedule.map((s) => [s.id, s]));
  const view: ProductionView[] = open.map((r) => {
    const s = byId.get(String(r.id));
    return s ? { ...r, lockToken: null, schedule: { printer: s.printer, estimatedStart: s.estimatedStart, estimatedFinish: s.estimatedFinish, atRisk: s.atRisk } } : { ...r, lockToken: null };
  });
  return view.sort(
    (a, b) =>
      Number(b.schedule?.atRisk ?? false) - Number(a.schedule?.atRisk ?? false) ||
      compareCodeUnits(a.schedule?.estimatedFinish ?? '9', b.schedule?.estimatedFinish ?? '9') ||
      a.id - b.id,
  );
}

