import { setRateScale } from '../adapters/limiter.ts';
import { PLATFORMS } from '../config/env.ts';
import { pollAccount } from '../jobs/poll.ts';
import { productionFeature } from '../jobs/production/index.ts';
import { startSandbox } from '../sandbox/server.ts';
import { benchStores, log, mb, round, sandboxAdapters } from './support.ts';

/**
 * Steady memory of the polling loop: many poll cycles over all accounts with a trickle of new and
 * changed orders (an hour of 5-minute polls is 12 cycles; this runs `cycles`), RSS after GC sampled
 * along the way to show whether anything grows across cycles.
 */
export async function benchSteadyMemory(dir: string, cycles = 360) {
  setRateScale(1e6);
  const sandbox = await startSandbox({ rateScale: 1e6, seed: 21 });
  for (const p of PLATFORMS) sandbox.context.store.add(p, 200, 'unshipped');
  sandbox.context.store.backdate(3_600_000);
  const stores = await benchStores(dir, 'memory');
  const adapters = sandboxAdapters(stores.db, sandbox.url);
  const intake = productionFeature.intake?.(stores.services(adapters));
  const samples: { cycle: number; rssMb: number; heapMb: number }[] = [];
  for (let cycle = 1; cycle <= cycles; cycle++) {
    for (const p of PLATFORMS) {
      const added = sandbox.context.store.add(p, 2, 'unshipped');
      for (const o of added) o.updatedAt = new Date(Date.now() - 600_000 + cycle).toISOString();
    }
    for (const adapter of adapters) await pollAccount({ db: stores.db, adapter, intake, log });
    if (cycle % Math.max(1, Math.floor(cycles / 12)) === 0) {
      global.gc?.();
      const m = process.memoryUsage();
      samples.push({ cycle, rssMb: mb(m.rss), heapMb: mb(m.heapUsed) });
    }
  }
  await sandbox.close();
  await stores.close();
  const half = samples.slice(Math.floor(samples.length / 2));
  const growthMbPerCycle = half.length > 1 ? (half.at(-1)!.heapMb - half[0]!.heapMb) / (half.at(-1)!.cycle - half[0]!.cycle) : 0;
  return {
    cycles,
    steadyRssMb: samples.at(-1)?.rssMb,
    heapGrowthMbPer100CyclesSecondHalf: round(growthMbPerCycle * 100, 3),
    samples,
  };
}
