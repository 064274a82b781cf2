/**
 * A token bucket per (platform, operation), enforcing the published usage plans with real 429s.
 * `scale` multiplies every rate (benchmarks run the limits 100x faster).
 */
export class TokenBuckets {
  private buckets = new Map<string, { tokens: number; updated: number; rate: number; burst: number }>();
  private dayCounts = new Map<string, { day: string; count: number }>();
  private scale: number;
  /** What each bucket let through (times, the last 10,000) and refused: tests check a client's pacing with it. */
  readonly granted = new Map<string, number[]>();
  readonly refused = new Map<string, number>();
  constructor(scale = 1) {
    this.scale = scale;
  }

  setScale(scale: number) {
    this.scale = scale;
    this.refill();
  }

  /** Every bucket full again, as after a quiet spell (tests that need the burst start from it). */
  refill() {
    this.buckets.clear();
  }

  /** Takes one token; returns 0 when allowed, else the milliseconds until the next token. */
  take(key: string, ratePerSecond: number, burst: number, now = Date.now()): number {
    const rate = ratePerSecond * this.scale;
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: burst, updated: now, rate, burst };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(b.burst, b.tokens + ((now - b.updated) / 1000) * b.rate);
    b.updated = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      const times = this.granted.get(key) ?? [];
      if (times.push(now) > 10_000) times.shift();
      this.granted.set(key, times);
      return 0;
    }
    this.refused.set(key, (this.refused.get(key) ?? 0) + 1);
    return Math.ceil(((1 - b.tokens) / b.rate) * 1000);
  }

  remaining(key: string): number {
    return Math.floor(this.buckets.get(key)?.tokens ?? 0);
  }

  /** Counts a call against a per-day quota; false when the day's quota is spent. */
  takeDaily(key: string, perDay: number, now = new Date()): { allowed: boolean; remaining: number } {
    const day = now.toISOString().slice(0, 10);
    const limit = Math.round(perDay * this.scale);
    let d = this.dayCounts.get(key);
    if (!d || d.day !== day) {
      d = { day, count: 0 };
      this.dayCounts.set(key, d);
    }
    if (d.count >= limit) return { allowed: false, remaining: 0 };
    d.count += 1;
    return { allowed: true, remaining: limit - d.count };
  }
}
