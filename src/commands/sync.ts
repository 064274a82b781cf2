import type { Command } from 'commander';
import { z } from 'zod';
import { backfillAccount, syncOnce, type BackfillProgress } from '../../jobs/manual-poll.ts';
import { ShutdownError } from '../errors.ts';
import { features } from '../features.ts';
import { parseInput, pastDate, singleLine } from '../input.ts';
import { loadConfigOrExit } from '../load-config.ts';
import { openMarketplaceSession, type MarketplaceSession } from '../marketplace-session.ts';
import { table } from './table.ts';

const accountsOption = z.array(singleLine(200)).optional();
const backfillInput = z.object({ since: pastDate, account: accountsOption, json: z.boolean().optional() });
const syncInput = z.object({ once: z.literal(true, { error: 'only --once is supported: the worker polls on its schedule' }), account: accountsOption, json: z.boolean().optional() });

const collect = (value: string, previous: string[] = []) => [...previous, value];

function manualDeps(s: MarketplaceSession) {
  const services = { ...s, redisTarget: s.redisTarget };
  return {
    db: s.db,
    redis: s.redis,
    prefix: s.prefix,
    intake: s.intake,
    log: s.log,
    signal: s.signal,
    onAccountHealthy: async (accountId: string) => {
      for (const f of features) await f.accountHealthy?.(services, accountId);
    },
  };
}

/** Opens the marketplaces for a command, with Ctrl-C wired to cancel their waits, and closes them after. */
async function withSession<T>(accounts: string[] | undefined, run: (session: MarketplaceSession) => Promise<T>): Promise<T> {
  const session = await openMarketplaceSession(loadConfigOrExit(), accounts);
  const release = cancelOnInterrupt(session);
  try {
    return await run(session);
  } finally {
    release();
    await session.close();
  }
}

/** Ctrl-C: waits for tokens end at once; what was committed stays. A second Ctrl-C exits at once. */
function cancelOnInterrupt(session: MarketplaceSession): () => void {
  const onSigint = () => {
    process.off('SIGINT', onSigint);
    process.once('SIGINT', () => process.exit(130));
    session.cancel('interrupted (Ctrl-C)');
  };
  process.on('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}

const duration = (ms: number | undefined) => {
  if (ms === undefined) return 'estimating…';
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
};

function progressLine(p: BackfillProgress): string {
  const width = 20;
  const filled = Math.round((p.done / p.windows) * width);
  return `${p.accountId} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.windows} windows, up to ${p.reached.slice(0, 16)}Z, ${p.fetched} read (${p.inserted} new), ETA ${duration(p.etaMs)}`;
}

export function registerSyncCommands(program: Command): void {
  program
    .command('sync')
    .description('poll each account once now, in the foreground, and print what it found (safe while the worker runs)')
    .option('--once', 'one poll of each account')
    .option('--account <id>', 'only this account (amazon:SELLER, or a platform name); repeatable', collect)
    .option('--json', 'print JSON')
    .action(async (o: unknown) => {
      const input = parseInput(syncInput, o, 'sync');
      await withSession(input.account, async (session) => {
        const results = await syncOnce(manualDeps(session), session.adapters);
        if (input.json) console.log(JSON.stringify(results, null, 2));
        else {
          console.log(
            table(
              ['account', 'pages', 'read', 'new', 'updated', 'unchanged', 'quarantined', 'result'],
              results.map((r) =>
                'summary' in r
                  ? [r.accountId, r.summary.pages, r.summary.fetched, r.summary.inserted, r.summary.updated, r.summary.unchanged, r.summary.quarantined, 'ok']
                  : [r.accountId, '', '', '', '', '', '', `ERROR ${r.error}`],
              ),
            ),
          );
        }
        if (results.some((r) => 'error' in r)) process.exitCode = 1;
      });
    });

  program
    .command('backfill')
    .description('import the orders of a past period under the same rate limits as the worker; Ctrl-C and run it again to resume')
    .requiredOption('--since <date>', 'first day to import, e.g. 2026-10-01')
    .option('--account <id>', 'only this account (amazon:SELLER, or a platform name); repeatable', collect)
    .option('--json', 'print the final figures as JSON')
    .action(async (o: unknown) => {
      const input = parseInput(backfillInput, o, 'backfill');
      const tty = process.stderr.isTTY;
      const latest = new Map<string, BackfillProgress>();
      const show = (p: BackfillProgress) => {
        const before = latest.get(p.accountId);
        latest.set(p.accountId, p);
        if (tty) process.stderr.write(`\r\x1b[2K${[...latest.values()].map(progressLine).join(' | ')}`);
        else if (!before || before.done !== p.done) process.stderr.write(`${progressLine(p)}\n`);
      };
      await withSession(input.account, async (session) => {
        const results = await Promise.all(
          session.adapters.map(async (adapter) => {
            try {
              return { progress: await backfillAccount(manualDeps(session), adapter, input.since, show) };
            } catch (err) {
              return { error: err };
            }
          }),
        );
        if (tty) process.stderr.write('\n');
        const interrupted = results.some((r) => r.error instanceof ShutdownError);
        const figures = [...latest.values()];
        if (input.json) console.log(JSON.stringify({ interrupted, accounts: figures, errors: results.flatMap((r) => (r.error ? [String((r.error as Error).message)] : [])) }, null, 2));
        else {
          for (const p of figures) console.log(`${p.accountId}: ${p.fetched} orders read (${p.inserted} new, ${p.updated} updated) up to ${p.reached}${p.resumedFrom ? `, resumed from ${p.resumedFrom}` : ''}`);
          for (const r of results) if (r.error && !(r.error instanceof ShutdownError)) console.log(`ERROR ${(r.error as Error).message}`);
          if (interrupted) console.log('interrupted: run the same command again to resume where it stopped');
        }
        process.exitCode = interrupted ? 130 : results.some((r) => r.error) ? 1 : 0;
      });
    });
}
