import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { listAccounts } from '../../db/accounts.ts';
import type { Db } from '../../db/connection.ts';
import { openCliContext } from '../cli-context.ts';
import { parseInput } from '../input.ts';
import { loadConfigOrExit } from '../load-config.ts';
import { table } from './table.ts';

export interface AccountStatus {
  account: string;
  healthy: boolean;
  reason: string | null;
  lastPoll: string | null;
  /** Seconds since the last successful poll (null: never polled). */
  syncLagSeconds: number | null;
  tokenExpires: string | null;
  /** What the daily quota has left (eBay, Etsy); null where the platform has none (Amazon). */
  callsLeftToday: number | null;
}

/**
 * What the day's quota has left, read from the shared limiter state in Redis (the worker's day
 * bucket, `b_<prefix>:limits:<account>:day:<version>_settings`); the newest version when the
 * limits changed. Null when the account has no daily quota or has made no call yet.
 */
async function callsLeftToday(redis: Redis, prefix: string, account: string, now: number): Promise<number | null> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `b_${prefix}:limits:${account}:day:*_settings`, 'COUNT', 500);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  let newest: { at: number; reservoir: number } | undefined;
  for (const key of keys) {
    const [reservoir, refreshed, amount, interval] = await redis.hmget(key, 'reservoir', 'lastReservoirRefresh', 'reservoirRefreshAmount', 'reservoirRefreshInterval');
    const at = Number(refreshed);
    // Bottleneck refills at the next call after the day is over: until then the stored figure is yesterday's.
    const refilled = amount !== null && interval !== null && at + Number(interval) <= now;
    if (reservoir !== null && (!newest || at > newest.at)) newest = { at, reservoir: refilled ? Number(amount) : Number(reservoir) };
  }
  return newest ? newest.reservoir : null;
}

export async function accountStatuses(db: Db, redis: Redis, prefix: string, now = Date.now()): Promise<AccountStatus[]> {
  return Promise.all(
    listAccounts(db).map(async (a) => ({
      account: a.id,
      healthy: a.healthy,
      reason: a.healthReason,
      lastPoll: a.lastPolledAt,
      syncLagSeconds: a.lastPolledAt ? Math.max(0, Math.round((now - Date.parse(a.lastPolledAt)) / 1000)) : null,
      tokenExpires: a.accessTokenExpiresAt,
      callsLeftToday: await callsLeftToday(redis, prefix, a.id, now),
    })),
  );
}

const ago = (s: number | null) => (s === null ? 'never' : s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`);

export function registerAccountsCommand(program: Command): void {
  program
    .command('accounts')
    .description('each marketplace account: health, last successful poll, sync lag, token expiry, calls left today')
    .option('--json', 'print JSON')
    .action(async (o: unknown) => {
      const input = parseInput(z.object({ json: z.boolean().optional() }), o, 'accounts');
      const ctx = await openCliContext(loadConfigOrExit());
      try {
        const statuses = await accountStatuses(ctx.db, ctx.redis, ctx.prefix);
        if (input.json) return console.log(JSON.stringify(statuses, null, 2));
        if (statuses.length === 0) return console.log('no accounts yet: the worker adds each configured account at its first start');
        console.log(
          table(
            ['account', 'health', 'last poll', 'token expires', 'calls left today', 'reason'],
            statuses.map((s) => [
              s.account,
              s.healthy ? 'healthy' : 'UNHEALTHY',
              ago(s.syncLagSeconds),
              s.tokenExpires ? s.tokenExpires.slice(0, 16).replace('T', ' ') : '-',
              s.callsLeftToday ?? '-',
              s.reason ?? '',
            ]),
          ),
        );
      } finally {
        await ctx.close();
      }
    });
}
