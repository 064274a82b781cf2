import type { MarketplaceAdapter } from '../adapters/types.ts';
import { accountId as makeAccountId } from '../db/accounts.ts';
import { jobIds, type Queues } from './queues.ts';

/**
 * One BullMQ job scheduler per account and stream. An `every` scheduler fires its first job at
 * once, so a started worker polls immediately and then every interval. Upserting is idempotent:
 * restarts replace the schedule instead of stacking a second one.
 */
export async function scheduleAccountPolls(queues: Queues, adapters: MarketplaceAdapter[], pollIntervalMs: number) {
  const ids: string[] = [];
  for (const adapter of adapters) {
    const accountId = makeAccountId(adapter.platform, adapter.accountId);
    const streams = [{ name: 'orders', everyMs: pollIntervalMs }, ...(adapter.extraStreams ?? [])];
    for (const stream of streams) {
      const id = jobIds.pollScheduler(accountId, stream.name);
      await queues.poll.upsertJobScheduler(
        id,
        { every: stream.everyMs },
        { name: `poll ${accountId} ${stream.name}`, data: { accountId, platform: adapter.platform, stream: stream.name } },
      );
      ids.push(id);
    }
  }
  // Accounts removed from the config lose their schedule.
  for (const existing of await queues.poll.getJobSchedulers()) {
    if (existing.key && !ids.includes(existing.key)) await queues.poll.removeJobScheduler(existing.key);
  }
  return ids;
}
