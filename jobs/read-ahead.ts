/**
 * Reads an async source ahead of its consumer, at most `capacity` items ahead. `next()` hands over
 * every item that has arrived (at least one: it waits when none has; none once the source is done),
 * so a consumer slower than its source takes several at a time. A source that fails hands over the
 * items it yielded first, then the error. `close()` stops reading (the source's `return`).
 */
export interface ReadAhead<T> {
  next(): Promise<T[]>;
  close(): void;
}

export function readAhead<T>(source: AsyncIterable<T>, capacity: number): ReadAhead<T> {
  if (!(capacity >= 1)) throw new RangeError(`readAhead capacity must be at least 1, got ${capacity}`);
  const iterator = source[Symbol.asyncIterator]();
  const buffer: T[] = [];
  let ended = false;
  let stopped = false;
  let failure: { err: unknown } | undefined;
  let itemArrived: (() => void) | undefined;
  let roomMade: (() => void) | undefined;
  const wakeConsumer = () => {
    itemArrived?.();
    itemArrived = undefined;
  };
  const wakeReader = () => {
    roomMade?.();
    roomMade = undefined;
  };

  void (async () => {
    try {
      while (!stopped) {
        if (buffer.length >= capacity) {
          await new Promise<void>((resolve) => (roomMade = resolve));
          continue;
        }
        const step = await iterator.next();
        if (step.done || stopped) break;
        buffer.push(step.value);
        wakeConsumer();
      }
    } catch (err) {
      failure = { err };
    }
    ended = true;
    wakeConsumer();
  })();

  return {
    async next() {
      while (buffer.length === 0 && !ended) await new Promise<void>((resolve) => (itemArrived = resolve));
      if (buffer.length === 0 && failure) throw failure.err;
      const taken = buffer.splice(0);
      wakeReader();
      return taken;
    },
    close() {
      if (stopped) return;
      stopped = true;
      wakeReader();
      void iterator.return?.(undefined)?.catch(() => undefined);
    },
  };
}
