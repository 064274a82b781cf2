import { describe, expect, it } from 'vitest';
import { readAhead } from '../../jobs/read-ahead.ts';

/** A source that yields 1..n, each item only when the test lets it (`release`), and records how far it was read. */
function gatedSource(n: number) {
  const state = { requested: 0, returned: false, gates: [] as (() => void)[] };
  const source = (async function* () {
    try {
      for (let i = 1; i <= n; i++) {
        state.requested = i;
        await new Promise<void>((resolve) => state.gates.push(resolve));
        yield i;
      }
    } finally {
      state.returned = true;
    }
  })();
  const release = async (count: number) => {
    for (let i = 0; i < count; i++) {
      while (state.gates.length === 0) await new Promise((r) => setImmediate(r));
      state.gates.shift()!();
    }
    await new Promise((r) => setImmediate(r));
  };
  return { source, state, release };
}

describe('readAhead', () => {
  it('hands over every item that has arrived at once, in order, and nothing once the source is done', async () => {
    const { source, release } = gatedSource(5);
    const ahead = readAhead(source, 4);
    await release(3);
    expect(await ahead.next()).toEqual([1, 2, 3]);
    const waiting = ahead.next();
    await release(1);
    expect(await waiting).toEqual([4]);
    await release(1);
    expect(await ahead.next()).toEqual([5]);
    expect(await ahead.next()).toEqual([]);
  });

  it('reads no further than its capacity ahead of the consumer', async () => {
    const { source, state, release } = gatedSource(10);
    const ahead = readAhead(source, 2);
    await release(2);
    // Two items wait: the source is not asked for a third until the consumer takes them.
    expect(state.requested).toBe(2);
    expect(await ahead.next()).toEqual([1, 2]);
    await new Promise((r) => setImmediate(r));
    expect(state.requested).toBe(3);
    ahead.close();
  });

  it('hands over the items read before a failure, then the failure', async () => {
    const source = (async function* () {
      yield 'page 1';
      yield 'page 2';
      throw new Error('connection reset while fetching page 3');
    })();
    const ahead = readAhead(source, 4);
    await new Promise((r) => setImmediate(r)); // the source has failed by now
    expect(await ahead.next()).toEqual(['page 1', 'page 2']);
    await expect(ahead.next()).rejects.toThrow('page 3');
  });

  it('close() ends the source (its finally runs) and the read stops', async () => {
    const { source, state, release } = gatedSource(10);
    const ahead = readAhead(source, 4);
    await release(1);
    expect(await ahead.next()).toEqual([1]);
    ahead.close();
    await release(1); // the read in flight finishes; the source is then returned
    expect(state.returned).toBe(true);
    expect(state.requested).toBe(2);
  });

  it('refuses a capacity below one', () => {
    expect(() => readAhead((async function* () {})(), 0)).toThrow('capacity must be at least 1');
  });
});
