import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Queues } from './queues.ts';

/** A housekeeping task a feature runs on a schedule (the `maintenance` queue, one BullMQ scheduler each). */
export interface PeriodicTask {
  name: string;
  /** How often; undefined switches the task off (its schedule is removed). */
  everyMs: number | undefined;
  run(): Promise<unknown>;
}

/** Schedules every task (or removes the schedule of one switched off) and returns the worker that runs them. */
export async function startPeriodicTasks(tasks: PeriodicTask[], deps: { queues: Queues; connection: ConnectionOptions; prefix: string; log: Logger }): Promise<Worker> {
  for (const t of tasks) {
    if (t.everyMs) await deps.queues.maintenance.upsertJobScheduler(t.name, { every: t.everyMs }, { name: t.name, data: { task: t.name } });
    else await deps.queues.maintenance.removeJobScheduler(t.name);
  }
  const byName = new Map(tasks.map((t) => [t.name, t]));
  return new Worker<{ task: string }>(
    'maintenance',
    async (job) => {
      const task = byName.get(job.data.task);
      if (!task) return { skipped: `no task ${job.data.task} in this worker` };
      return task.run();
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1, autorun: false },
  );
}
