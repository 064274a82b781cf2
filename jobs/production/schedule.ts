import type { ProductionRules } from '../../config/production.ts';
import { compareCodeUnits } from '../../src/compare.ts';

export interface SchedulableJob {
  id: string;
  printerGroup: string;
  estimateMinutes: number;
  shipBy?: string | null;
  /** Already printing: it holds a printer from `startedAt` on. */
  startedAt?: string | null;
}

export interface ScheduledJob extends SchedulableJob {
  printer: number;
  estimatedStart: string;
  estimatedFinish: string;
  atRisk: boolean;
}

/**
 * Earliest-deadline-first over each printer group: printing jobs keep their printer, then queued
 * jobs by ship-by (none last) go to whichever printer frees up first. A printer works
 * `hoursPerDay`, so work time stretches into calendar time by 24 / hoursPerDay. A job is at risk
 * when its estimated finish plus the packing buffer passes its ship-by.
 */
export function scheduleJobs(jobs: SchedulableJob[], printers: ProductionRules['printers'], now = new Date()): ScheduledJob[] {
  const out: ScheduledJob[] = [];
  const bufferMs = printers.packingBufferHours * 3_600_000;
  const byGroup = new Map<string, SchedulableJob[]>();
  for (const j of jobs) byGroup.set(j.printerGroup, [...(byGroup.get(j.printerGroup) ?? []), j]);

  for (const [group, groupJobs] of byGroup) {
    const spec = printers.groups[group] ?? { count: 1, hoursPerDay: 24 };
    const stretch = 24 / spec.hoursPerDay;
    const freeAt = Array.from({ length: spec.count }, () => now.getTime());
    const place = (job: SchedulableJob, start: number, printer: number) => {
      const finish = start + job.estimateMinutes * 60_000 * stretch;
      freeAt[printer] = finish;
      out.push({
        ...job,
        printer: printer + 1,
        estimatedStart: new Date(start).toISOString(),
        estimatedFinish: new Date(finish).toISOString(),
        atRisk: job.shipBy ? finish + bufferMs > Date.parse(job.shipBy) : false,
      });
    };
    const printing = groupJobs.filter((j) => j.startedAt);
    printing.forEach((job, i) => place(job, Math.min(Date.parse(job.startedAt!), now.getTime()), i % spec.count));
    const queued = groupJobs
      .filter((j) => !j.startedAt)
      .sort((a, b) => (a.shipBy ? Date.parse(a.shipBy) : Infinity) - (b.shipBy ? Date.parse(b.shipBy) : Infinity) || compareCodeUnits(a.id, b.id));
    for (const job of queued) {
      let printer = 0;
      for (let p = 1; p < freeAt.length; p++) if (freeAt[p]! < freeAt[printer]!) printer = p;
      place(job, Math.max(freeAt[printer]!, now.getTime()), printer);
    }
  }
  return out;
}
