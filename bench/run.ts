import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * `npm run bench`: each section runs in its own Node process (so memory figures are its own),
 * prints a table and writes bench/results/latest.json. `--only ingest,idle` picks sections;
 * `--quick` shrinks the workloads for a smoke run.
 */
const SECTIONS = ['ingest', 'idle', 'budget', 'latency', 'memory', 'csv', 'footprint', 'backlog'] as const;
type Section = (typeof SECTIONS)[number];
const here = dirname(fileURLToPath(import.meta.url));

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, section: { type: 'string' }, 'footprint-minutes': { type: 'string' }, 'service-settings': { type: 'boolean', default: false } } });

async function runSection(section: Section, quick: boolean): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), `osw-bench-${section}-`));
  try {
    switch (section) {
      case 'ingest':
        return await (await import('./ingest.ts')).benchIngest(dir, quick ? 6_000 : 50_000);
      case 'idle':
        return await (await import('./idle-poll.ts')).benchIdlePoll(dir, quick ? 50_000 : 1_000_000);
      case 'budget': {
        // At 100x, Etsy's and eBay's sequential paging is bound by our pipeline, not by the API; at
        // their published limits (Amazon's would take an hour) the limiter's use of the budget shows.
        const { benchApiBudget } = await import('./api-budget.ts');
        const scaled = await benchApiBudget(dir, quick ? 2_000 : 20_000, 100);
        const published = await benchApiBudget(dir, quick ? 2_000 : 20_000, 1, 300_000, ['ebay', 'etsy']);
        return { ...scaled, atPublishedLimits: published };
      }
      case 'latency':
        return await (await import('./latency.ts')).benchLatency(dir, 3_000, 100, quick ? 5 : 20);
      case 'memory':
        return await (await import('./memory.ts')).benchSteadyMemory(dir, quick ? 60 : 360);
      case 'csv':
        return await (await import('./csv-import.ts')).benchCsvImport(dir, quick ? 10_000 : 100_000);
      case 'footprint': {
        // The worker as its own process, 10 minutes per variant (--footprint-minutes to change it).
        const { benchFootprint } = await import('./footprint.ts');
        return await benchFootprint(dir, Number(values['footprint-minutes'] ?? (quick ? 1 : 10)));
      }
      case 'backlog':
        // The first sync of a new shop as the worker process meets it (the sandbox in another process).
        return await (await import('./footprint.ts')).benchBacklog(dir, quick ? 6_000 : 50_000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.section) {
  // Child mode: run one section, print its JSON on the last line.
  const result = await runSection(values.section as Section, values.quick ?? false);
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
  process.exit(0);
}

const chosen = (values.only ? values.only.split(',') : [...SECTIONS]) as Section[];
const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version, quick: values.quick ?? false, serviceSettings: values['service-settings'] ?? false };
for (const section of chosen) {
  const t0 = Date.now();
  process.stderr.write(`bench: ${section}...\n`);
  const child = spawnSync(
    process.execPath,
    [
      // --service-settings: the memory settings the service files use (README, Footprint), to compare.
      ...(values['service-settings'] ? ['--max-semi-space-size=2', '--optimize-for-size'] : []),
      '--experimental-strip-types', '--disable-warning=ExperimentalWarning', '--expose-gc', fileURLToPath(import.meta.url), '--section', section, ...(values.quick ? ['--quick'] : []), ...(values['footprint-minutes'] ? ['--footprint-minutes', values['footprint-minutes']] : [])],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'], env: values['service-settings'] ? { ...process.env, MALLOC_ARENA_MAX: '2' } : process.env },
  );
  const last = child.stdout.trim().split('\n').at(-1) ?? '';
  try {
    results[section] = { seconds: Math.round((Date.now() - t0) / 100) / 10, ...JSON.parse(last) };
  } catch {
    results[section] = { error: `section failed (exit ${child.status})`, output: child.stdout.slice(-2000) };
  }
  process.stderr.write(`bench: ${section} done in ${Math.round((Date.now() - t0) / 1000)} s\n`);
}

mkdirSync(join(here, 'results'), { recursive: true });
// A run of some sections (--only) keeps the others' last figures; `at` names each section's run.
const file = join(here, 'results', 'latest.json');
const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
for (const section of chosen) Object.assign(results[section] as Record<string, unknown>, { at: results.at, serviceSettings: results.serviceSettings });
writeFileSync(file, `${JSON.stringify(values.only ? { ...previous, ...results } : results, null, 2)}\n`);
printTable(results);

function printTable(r: Record<string, any>) {
  const rows: [string, string, string][] = [];
  const add = (metric: string, value: unknown, target = '') => rows.push([metric, String(value), target]);
  if (r.ingest && !r.ingest.error) {
    add('ingest orders/s to SQLite', r.ingest.ordersPerSecondToSqlite, '>= 10000');
    add('ingest cost / bare insert', `${r.ingest.costRatioToBare}x`, '<= 4x');
    add('ingest orders/s end to end (with Redis jobs)', r.ingest.ordersPerSecondEndToEnd);
    add('ingest peak RSS MB', r.ingest.peakRssMb, '<= 250');
  }
  if (r.idle && !r.idle.error) {
    add('idle poll API calls per account', JSON.stringify(r.idle.idleApiCallsPerAccount), '1 each');
    add('idle poll DB ms per account, worst (all 3), 1M stored', `${r.idle.idleDbMsWorstAccount} (${r.idle.idleDbMsAllAccounts})`, '< 5');
    add('100 changed: orders found per account', JSON.stringify(r.idle.hundredChangedFound), '100 each');
    add('100 changed: DB ms 1M stored / empty store', `${r.idle.hundredChangedDbMs.stored1m} / ${r.idle.hundredChangedDbMs.storedNone}`, 'O(100)');
  }
  if (r.budget && !r.budget.error) {
    for (const p of r.budget.platforms) {
      add(`${p.platform}: share of allowed rate, 429s`, `${p.shareOfAllowedRate ?? 'n/a'}, ${p.responses429}`, '>= 0.9, 0');
      add(`${p.platform}: calls/order (min, naive 7-day/day vs ours/day)`, `${p.callsPerOrder} (${p.minimumCallsPerOrder}; ${p.naive7DayCallsPerDay} vs ${p.oursCallsPerDay})`);
    }
    for (const p of r.budget.atPublishedLimits?.platforms ?? []) {
      add(`${p.platform} at 1x: share of allowed rate, 429s`, `${p.shareOfAllowedRate}, ${p.responses429}`, '>= 0.9, 0');
    }
  }
  if (r.latency && !r.latency.error) {
    for (const p of ['amazon', 'ebay', 'etsy']) {
      const l = r.latency[p];
      if (l) add(`${p}: latency p50 / p95 (x interval)`, `${l.p50OfInterval} / ${l.p95OfInterval}`, 'p95 <= 1.1');
    }
  }
  if (r.csv && !r.csv.error) {
    add(`CSV import of ${r.csv.rows} rows: peak RSS MB (before: ${r.csv.baselineRssMb})`, r.csv.peakRssMb, '< 200');
    add('CSV import: RSS growth MB during the import', r.csv.importGrowthMb);
    add('CSV rows/s (dry run / real)', `${r.csv.dryRun.rowsPerSecond} / ${r.csv.real.rowsPerSecond}`);
    add('other process: writes ok / locked out', `${r.csv.otherProcessWrites} / ${r.csv.otherProcessLockedOut}`, '0 locked out');
  }
  if (r.memory && !r.memory.error) {
    add('steady RSS MB after polling cycles', r.memory.steadyRssMb, '<= 150');
    add('heap growth MB / 100 cycles (2nd half)', r.memory.heapGrowthMbPer100CyclesSecondHalf, '~0');
  }
  if (r.backlog && !r.backlog.error) {
    add(`worker process draining a ${r.backlog.orders}-order backlog: orders/s to 99 % / to the last`, `${r.backlog.ordersPerSecondTo99Percent} / ${r.backlog.ordersPerSecondEndToEnd}`, '>= 5000');
    add('  orders never stored (a read skipped them)', r.backlog.missing, '0');
    add('  peak RSS MB while draining it', r.backlog.peakRssMb, '<= 250');
  }
  if (r.footprint && !r.footprint.error) {
    for (const f of r.footprint.runs) {
      add(`worker (${f.variant}): RSS start / steady / peak MB`, `${f.rssStartMb} / ${f.rssSteadyMb} / ${f.rssPeakMb}`, f.variant === 'bundle + settings' ? '<= 150 steady' : '');
      add(`worker (${f.variant}): heap MB, CPU % polling, ms to /healthz`, `${f.heapUsedMb} / ${f.cpuPercent} / ${f.healthzMs}`);
    }
  }
  for (const [k, v] of Object.entries(r)) if (v && typeof v === 'object' && 'error' in (v as object)) add(`${k}`, (v as { error: string }).error);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length), 6));
  for (const row of rows) process.stdout.write(`${row.map((c, i) => c.padEnd(w[i]!)).join('  ')}\n`);
  process.stdout.write(`\nresults: bench/results/latest.json\n`);
}
