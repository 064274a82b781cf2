import { createReadStream } from 'node:fs';
import { DelayedError, Worker, type Queue } from 'bullmq';
import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { carrierMapperFor } from '../../adapters/registry.ts';
import type { Shipment } from '../../db/shipments.ts';
import { getShipment, unfinishedShipments } from '../../db/shipments.ts';
import { withWriteRetry } from '../../db/connection.ts';
import { openCliContext } from '../../src/cli-context.ts';
import { errorMessage, ValidationError } from '../../src/errors.ts';
import { echo } from '../../src/input.ts';
import type { WorkerFeature, WorkerServices } from '../../src/worker.ts';
import { jobIds, type QueueJobs } from '../queues.ts';
import { importShipmentsCsv } from './csv-import.ts';
import { orderView } from './order-view.ts';
import { giveUp, pushShipmentJob, ShipmentLeasedError, WAITING_FOR_ACCOUNT } from './push.ts';
import { recordShipment, type CarrierMapper, type ShipmentInput } from './record.ts';

/** Carrier mapping from the running adapters (worker) or the built-in mappers (CLI). */
const liveMapper = (s: Pick<WorkerServices, 'adapters'>): CarrierMapper => (platform, name) => {
  const adapter = s.adapters.find((a) => a.platform === platform);
  return adapter ? adapter.mapCarrier(name) : carrierMapperFor(platform)(name);
};
const staticMapper: CarrierMapper = (platform, name) => carrierMapperFor(platform)(name);

export async function enqueuePush(queue: Queue<QueueJobs['fulfillment'], unknown, string>, s: Shipment, retryDelayMs?: number) {
  await queue.add(`push ${s.carrierCode} ${s.trackingNumber}`, { shipmentId: s.id }, {
    jobId: jobIds.fulfillment(s.id),
    ...(retryDelayMs !== undefined ? { backoff: { type: 'exponential', delay: retryDelayMs, jitter: 0.5 } } : {}),
  });
}

/**
 * Enqueues a shipment's push again when no live job carries it: the job is missing (never reached
 * Redis), or it ended (failed after a stall, completed while the shipment was reset). A live job
 * (waiting, delayed, active) is left alone. The next attempt asks the marketplace first.
 */
async function requeue(queue: Queue<QueueJobs['fulfillment'], unknown, string>, s: Shipment, retryDelayMs?: number): Promise<boolean> {
  const job = await queue.getJob(jobIds.fulfillment(s.id));
  if (job) {
    const state = await job.getState();
    if (state !== 'failed' && state !== 'completed' && state !== 'unknown') return false;
    await job.remove();
  }
  await enqueuePush(queue, s, retryDelayMs);
  return true;
}

/** Every unfinished shipment without a live job gets one: at start, every few minutes, after a stall. */
export async function sweepShipments(queue: Queue<QueueJobs['fulfillment'], unknown, string>, db: WorkerServices['db'], retryDelayMs?: number) {
  let requeued = 0;
  for (const shipment of unfinishedShipments(db)) {
    // Held back for a refused account: it goes out when the account works again (accountHealthy),
    // not every sweep into the same refusal.
    if (shipment.state === 'pending' && shipment.error?.startsWith(WAITING_FOR_ACCOUNT) && !accountHealthyFor(db, shipment.orderId)) continue;
    if (await requeue(queue, shipment, retryDelayMs)) requeued += 1;
  }
  return { requeued };
}

function accountHealthyFor(db: WorkerServices['db'], orderId: number): boolean {
  const row = db.$client.prepare('SELECT a.healthy AS healthy FROM orders o JOIN accounts a ON a.id = o.account_id WHERE o.id = ?').get(orderId) as { healthy: number } | undefined;
  return row?.healthy === 1;
}

const SWEEP_EVERY_MS = 5 * 60_000;

export function createFulfillmentFeature(opts: { retryDelayMs?: number } = {}): WorkerFeature {
  return {
    name: 'fulfillment',
    workers: (s) => {
      const worker = new Worker<QueueJobs['fulfillment']>(
        'fulfillment',
        async (job, token) => {
          try {
            return await pushShipmentJob({ db: s.db, adapters: s.adapters, metrics: s.metrics, log: s.log.child({ component: 'fulfillment' }) }, job.data.shipmentId);
          } catch (err) {
            // A lease runs out at a known time: wait for exactly that, without spending an attempt
            // (exponential backoff would push the retry minutes past it).
            if (err instanceof ShipmentLeasedError && token) {
              await job.moveToDelayed(err.until + 1_000, token);
              throw new DelayedError();
            }
            throw err;
          }
        },
        { connection: s.redis, prefix: s.prefix, concurrency: 4, autorun: false },
      );
      worker.on('failed', (job, err) => {
        if (!job) return;
        if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
          void withWriteRetry(() => giveUp(s.db, job.data.shipmentId, errorMessage(err), s.log)).catch((e: unknown) =>
            s.log.error({ err: e, shipmentId: job.data.shipmentId }, 'ALERT: could not record a failed shipment push'),
          );
        } else if (/stalled/i.test(err.message)) {
          // The process died mid-push too often: BullMQ fails the job without a retry. A fresh job
          // goes on with it; it asks the marketplace first, so nothing is sent twice.
          const shipment = getShipment(s.db, job.data.shipmentId);
          if (shipment && (shipment.state === 'pending' || shipment.state === 'pushing')) {
            void requeue(s.queues.fulfillment, shipment, opts.retryDelayMs).catch((e: unknown) => s.log.error({ err: e }, 'could not re-queue a stalled shipment push'));
          }
        }
      });
      return [worker];
    },
    // Crash recovery: a recorded shipment without a live job (never reached Redis, stalled, failed while
    // its account was refused) gets one, at start and every few minutes.
    start: async (s) => void (await sweepShipments(s.queues.fulfillment, s.db, opts.retryDelayMs)),
    periodic: (s) => [{ name: 'sweep-shipments', everyMs: SWEEP_EVERY_MS, run: () => sweepShipments(s.queues.fulfillment, s.db, opts.retryDelayMs) }],
    // The account works again: its shipments held back while it was refused go out now.
    accountHealthy: async (s, accountId) => {
      for (const shipment of unfinishedShipments(s.db, accountId)) {
        if (shipment.state === 'pending' && shipment.error?.startsWith(WAITING_FOR_ACCOUNT)) await requeue(s.queues.fulfillment, shipment, opts.retryDelayMs);
      }
    },
    routes: (s) => async (root: FastifyInstance) => {
      await root.register(async (app) => {
        app.setErrorHandler((err, _req, reply) => {
          if (err instanceof ValidationError) return reply.code(err.message.startsWith('unknown order') ? 404 : 400).send({ error: err.message, field: err.field });
          return reply.send(err);
        });
        app.get<{ Params: { id: string } }>('/api/orders/:id', async (req) => orderView(s.db, req.params.id));
        app.post<{ Params: { id: string }; Body: unknown }>(
          '/api/orders/:id/shipments',
          async (req, reply) => {
            const b = req.body;
            if (!b || typeof b !== 'object' || Array.isArray(b)) throw new ValidationError('body: must be a JSON object { carrier, tracking, items?, shippedAt?, note? }', 'body');
            if ('order' in b) throw new ValidationError('order: comes from the path, not the body', 'order');
            const shipment = await withWriteRetry(() =>
              recordShipment(s.db, { carrier: undefined, tracking: undefined, ...(b as Record<string, unknown>), order: req.params.id, source: 'api' }, liveMapper(s)),
            );
            await enqueuePush(s.queues.fulfillment, shipment, opts.retryDelayMs);
            return reply.code(201).send(shipment);
          },
        );
      });
    },
  };
}

export const fulfillmentFeature = createFulfillmentFeature();

export function registerShipmentCommands(program: Command): void {
  program
    .command('ship [order]')
    .description('record a shipment (or a CSV of them) and push the tracking to the marketplace')
    .option('--carrier <name>', 'carrier, e.g. USPS')
    .option('--tracking <number>', 'tracking number')
    .option('--items <list>', 'SKU:qty,... (default: everything not yet shipped)')
    .option('--date <date>', 'ship date (default: now)')
    .option('--note <text>', 'note to the buyer (where the platform supports it)')
    .option('--csv <file>', 'import shipments from a CSV: order number, carrier, tracking[, items][, ship date]')
    .option('--dry-run', 'with --csv: validate every row, record nothing')
    .action(async (order: string | undefined, o: { carrier?: string; tracking?: string; items?: string; date?: string; note?: string; csv?: string; dryRun?: boolean }) => {
      const ctx = await openCliContext();
      try {
        if (o.csv) {
          const summary = await importShipmentsCsv(ctx.db, createReadStream(o.csv), staticMapper, {
            dryRun: o.dryRun,
            onRow: async (r) => {
              // What the file said is echoed with its control characters escaped.
              console.log(echo(`row ${r.row} ${r.order ?? ''}: ${r.ok ? (o.dryRun ? 'ok (dry run)' : `recorded ${r.shipment!.id}`) : `ERROR ${r.error}`}`, 500));
              if (r.ok && !o.dryRun) await enqueuePush(ctx.queues.fulfillment, r.shipment!);
            },
          });
          console.log(`${summary.ok} ok, ${summary.bad} with errors${o.dryRun ? ' (dry run: nothing recorded)' : ''}`);
          if (summary.bad) process.exitCode = 1;
          return;
        }
        if (!order) throw new ValidationError('name the order (our id or the marketplace order number), or use --csv');
        const input: ShipmentInput = { order, carrier: o.carrier, tracking: o.tracking, items: o.items, shippedAt: o.date, note: o.note, source: 'cli' };
        const shipment = await withWriteRetry(() => recordShipment(ctx.db, input, staticMapper));
        await enqueuePush(ctx.queues.fulfillment, shipment);
        console.log(`recorded shipment ${shipment.id}: ${shipment.carrierCode} ${shipment.trackingNumber}; the worker pushes it to the marketplace`);
      } finally {
        await ctx.close();
      }
    });

  program
    .command('order <id>')
    .description('an order with its payment status, production state and shipments')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const ctx = await openCliContext();
      try {
        const v = orderView(ctx.db, id);
        if (o.json) return void console.log(JSON.stringify(v, null, 2));
        console.log(`#${v.id} ${v.platform} order ${v.orderNumber} (${v.accountId})`);
        console.log(`  status ${v.status}, payment ${v.paymentStatus}, ship by ${v.shipBy ?? '-'}${v.flags.length ? `, flags ${v.flags.join(', ')}` : ''}`);
        for (const i of v.items) {
          console.log(`  - ${i.sku} x${i.quantity} (shipped ${i.quantityShipped}) ${i.title}${i.production ? ` [${i.production.kind}: ${i.production.state}]` : ''}`);
          if (i.personalization) console.log(`      personalization: ${i.personalization}`);
        }
        for (const s of v.shipments) {
          console.log(`  shipment ${s.id}: ${s.carrierCode} ${s.trackingNumber} ${s.pushState}${s.error ? ` (${s.error})` : ''}`);
        }
      } finally {
        await ctx.close();
      }
    });
}
