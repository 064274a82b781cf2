import type { Redis } from 'ioredis';

/**
 * Which alert conditions are raised (one key per condition, holding the id of the alert that raised
 * it), and how far the events have been read.
 *
 * Kept in Redis, not SQLite: it deduplicates the alert jobs, which live in Redis and are lost with it
 * anyway; SET NX and DEL decide atomically for every worker process sharing the Redis (two
 * overlapping checks cannot both alert), and no table or migration is needed. Lost with Redis, a
 * condition still true (a stalled sync, a job at risk) alerts once more: an extra alert, not a missed
 * one. The state changes before the jobs are added: a crash between the two loses that one alert
 * rather than sending it twice.
 */

// KEYS[1] cursor; ARGV[1] new value: only ever moves forward (an overlapping slower run cannot rewind it).
const ADVANCE = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

export interface ConditionState {
  /** True when this alert raises the condition (it was not raised, or was cleared since): send it. */
  raise(condition: string, alertId: string, opts?: { keepSeconds?: number }): Promise<boolean>;
  /** True when a raised condition ends now: send its recovery, if it has one. */
  clear(condition: string): Promise<boolean>;
  /** The id of the last `events` row turned into alerts. */
  eventCursor(): Promise<number | undefined>;
  advanceEventCursor(eventId: number): Promise<void>;
  /** Sets the cursor only when there is none (the first start: history is not alerted). */
  initEventCursor(eventId: number): Promise<void>;
}

export function conditionState(redis: Redis, prefix: string): ConditionState {
  const key = (condition: string) => `${prefix}:alert-state:${condition}`;
  const cursorKey = `${prefix}:alert-state:events-cursor`;
  return {
    raise: async (condition, alertId, opts = {}) =>
      (opts.keepSeconds ? await redis.set(key(condition), alertId, 'EX', opts.keepSeconds, 'NX') : await redis.set(key(condition), alertId, 'NX')) === 'OK',
    clear: async (condition) => (await redis.del(key(condition))) === 1,
    eventCursor: async () => {
      const v = await redis.get(cursorKey);
      return v === null ? undefined : Number(v);
    },
    advanceEventCursor: async (eventId) => void (await redis.eval(ADVANCE, 1, cursorKey, String(eventId))),
    initEventCursor: async (eventId) => void (await redis.set(cursorKey, String(eventId), 'NX')),
  };
}
