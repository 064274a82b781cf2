import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm/sql';
import { getCursor } from '../../db/accounts.ts';
import { orderPayload } from '../../db/orders.ts';
import { SEAL_ASIDE_MIN_ORDERS } from '../../db/order-sealer.ts';
import { listQuarantine } from '../../db/quarantine.ts';
import { orderItems, orders } from '../../db/schema.ts';
import { pollAccount, type OrderIntake } from '../../jobs/poll.ts';
import { TransientError } from '../../src/errors.ts';
import { FakeAdapter, type FakeRawOrder } from '../support/fake-adapter.ts';
import { silentLog, tempDatabase } from '../support/env.ts';

const order = (id: string, minute: number, extra: Partial<FakeRawOrder> = {}): FakeRawOrder => ({
  id,
  modified: new Date(Date.UTC(2026, 10, 1, 12, minute)).toISOString(),
  lines: [{ id: `${id}-1`, sku: '3DP-PLANTER-S', qty: 1, price: 1499 }],
  ...extra,
});

describe('poll pipeline', () => {
  let store: ReturnType<typeof tempDatabase>;
  let adapter: FakeAdapter;
  beforeEach(() => {
    store = tempDatabase();
    adapter = new FakeAdapter();
  });
  afterEach(() => store.dispose());

  it('lands the same page exactly once when it is polled twice', async () => {
    adapter.orders = [order('A', 1), order('B', 2), order('C', 3)];
    const first = await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(first).toMatchObject({ pages: 2, inserted: 3, updated: 0 });

    // The marketplace hands the same pages again (overlap window, crash before cursor, retry).
    const again = await pollAccount({ db: store.db, adapter, log: silentLog() }, 'orders');
    expect(again.inserted).toBe(0);
    store.db.$client.prepare('delete from sync_cursors').run();
    const fromScratch = await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(fromScratch).toMatchObject({ fetched: 3, inserted: 0, updated: 0, unchanged: 3 });

    expect(store.db.select().from(orders).all()).toHaveLength(3);
    expect(store.db.select().from(orderItems).all()).toHaveLength(3);
  });

  it('advances the cursor only with the page it belongs to', async () => {
    adapter.orders = [order('A', 1), order('B', 2), order('C', 3), order('D', 4)];
    adapter.beforePage = (i) => {
      if (i === 1) throw new TransientError('connection reset while fetching page 2');
    };
    await expect(pollAccount({ db: store.db, adapter, log: silentLog() })).rejects.toThrow('page 2');
    expect(getCursor(store.db, 'etsy:fake-shop', 'orders')).toBe(order('B', 2).modified);
    expect(store.db.select({ id: orders.externalId }).from(orders).all().map((r) => r.id)).toEqual(['A', 'B']);

    // A failure inside the page's transaction rolls the cursor back with the orders.
    adapter.beforePage = undefined;
    const failingIntake: OrderIntake = {
      stage: () => {
        throw new Error('disk full');
      },
      flush: async () => undefined,
    };
    await expect(pollAccount({ db: store.db, adapter, intake: failingIntake, log: silentLog() })).rejects.toThrow('disk full');
    expect(getCursor(store.db, 'etsy:fake-shop', 'orders')).toBe(order('B', 2).modified);
    expect(store.db.select().from(orders).all()).toHaveLength(2);

    const resumed = await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(resumed.inserted).toBe(2);
    expect(getCursor(store.db, 'etsy:fake-shop', 'orders')).toBe(order('D', 4).modified);
  });

  it('commits the pages that wait together: one transaction, the cursor of the last one, rolled back together', async () => {
    // Every cursor write, as the transactions make them.
    store.db.$client.exec(`CREATE TABLE cursor_log (cursor TEXT);
      CREATE TRIGGER log_cursor_insert AFTER INSERT ON sync_cursors BEGIN INSERT INTO cursor_log VALUES (new.cursor); END;
      CREATE TRIGGER log_cursor_update AFTER UPDATE ON sync_cursors BEGIN INSERT INTO cursor_log VALUES (new.cursor); END;`);
    const cursorLog = () => store.db.$client.prepare('SELECT cursor FROM cursor_log').pluck().all();
    adapter.orders = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'].map((id, i) => order(id, i + 1));
    // Another connection holds the write lock while the first page is in: its commit waits (withWriteRetry),
    // and the next four pages are read meanwhile; the lock goes once the fifth is asked for.
    const other = new Database(store.path);
    adapter.beforePage = (i) => {
      if (i === 0) other.exec('BEGIN IMMEDIATE');
      if (i === 4) other.exec('COMMIT');
    };
    const failOn = new Set(['F']);
    const intake: OrderIntake = {
      stage: (_db, changes) => {
        if (changes.some((c) => failOn.has(c.order.externalId))) throw new Error('disk full');
      },
      flush: async () => undefined,
    };
    await expect(pollAccount({ db: store.db, adapter, intake, log: silentLog() })).rejects.toThrow('disk full');
    other.close();
    // Page 1 committed alone; pages 2-5 together, so F's failure on page 3 took C and D (page 2) back too.
    expect(cursorLog()).toEqual([order('B', 2).modified]);
    expect(store.db.select({ id: orders.externalId }).from(orders).all().map((r) => r.id)).toEqual(['A', 'B']);

    failOn.clear();
    adapter.beforePage = undefined;
    const resumed = await pollAccount({ db: store.db, adapter, intake, log: silentLog() });
    expect(resumed).toMatchObject({ pages: 4, inserted: 8 });
    expect(cursorLog().at(-1)).toBe(order('J', 10).modified);
    expect(getCursor(store.db, 'etsy:fake-shop', 'orders')).toBe(order('J', 10).modified);
  });

  it('never regresses an order to an older copy, and applies newer ones', async () => {
    adapter.orders = [order('A', 5, { status: 'shipped' })];
    await pollAccount({ db: store.db, adapter, log: silentLog() });
    store.db.$client.prepare('delete from sync_cursors').run();
    adapter.orders = [order('A', 1, { status: 'unshipped' })];
    await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(store.db.select().from(orders).get()!.status).toBe('shipped');

    adapter.orders = [order('A', 9, { status: 'cancelled' })];
    const s = await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(s.updated).toBe(1);
    expect(store.db.select().from(orders).get()!.status).toBe('cancelled');
  });

  it('a copy with the same marketplace time applies only when it moves the order forward', async () => {
    const again = async (o: FakeRawOrder) => {
      store.db.$client.prepare('delete from sync_cursors').run();
      adapter.orders = [o];
      await pollAccount({ db: store.db, adapter, log: silentLog() });
      return store.db.select().from(orders).get()!;
    };
    // Cancelled within the second of the copy we stored (Etsy's times are whole seconds): applied.
    expect((await again(order('A', 5, { paid: false, status: 'pending' }))).status).toBe('pending');
    expect((await again(order('A', 5))).status).toBe('unshipped'); // paid in the same second
    expect((await again(order('A', 5, { status: 'cancelled' }))).status).toBe('cancelled');
    // A stale same-second copy never undoes the cancellation...
    expect((await again(order('A', 5))).status).toBe('cancelled');
    // ...and a same-second re-read never undoes a shipment we recorded ourselves.
    await again(order('B', 7));
    store.db.$client.prepare("update orders set status = 'shipped' where external_id = 'B'").run();
    store.db.$client.prepare('delete from sync_cursors').run();
    adapter.orders = [order('B', 7)];
    await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(store.db.select().from(orders).all().find((o) => o.externalId === 'B')!.status).toBe('shipped');
  });

  it('quarantines a malformed order with its reason while its page-mates land', async () => {
    adapter.orders = [order('A', 1), { ...order('B', 2), lines: undefined as never }, order('C', 3)];
    const s = await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(s).toMatchObject({ inserted: 2, quarantined: 1 });
    const q = listQuarantine(store.db);
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ externalId: 'B', field: 'lines', reason: 'lines: missing' });
    // A later good copy resolves the quarantine entry.
    adapter.orders = [order('B', 8)];
    await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(listQuarantine(store.db)).toHaveLength(0);
    expect(store.db.select().from(orders).where(eq(orders.externalId, 'B')).get()).toBeDefined();
  });

  it('hands only changed orders to the intake, inside the transaction', async () => {
    const staged: string[] = [];
    let flushed = 0;
    const intake: OrderIntake = {
      stage: (_db, changes) => staged.push(...changes.map((c) => `${c.order.externalId}:${c.result.change}`)),
      flush: async () => void (flushed += 1),
    };
    adapter.orders = [order('A', 1), order('B', 2)];
    await pollAccount({ db: store.db, adapter, intake, log: silentLog() });
    store.db.$client.prepare('delete from sync_cursors').run();
    adapter.orders = [order('A', 1), order('B', 7)];
    await pollAccount({ db: store.db, adapter, intake, log: silentLog() });
    expect(staged).toEqual(['A:inserted', 'B:inserted', 'B:updated']);
    expect(flushed).toBe(2);
  });

  it('stores every order of a big page with its own raw payload (sealed on the sealer thread)', async () => {
    adapter.pageSize = SEAL_ASIDE_MIN_ORDERS * 2;
    adapter.orders = Array.from({ length: SEAL_ASIDE_MIN_ORDERS * 3 }, (_, i) => order(`P${i}`, i, { total: 1_000 + i }));
    const first = await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(first.inserted).toBe(adapter.orders.length);
    const payloadOf = (externalId: string) => orderPayload(store.db, store.db.select().from(orders).where(eq(orders.externalId, externalId)).get()!.id);
    for (const raw of adapter.orders) expect(payloadOf(raw.id)).toEqual(raw);

    // A later copy of some of them, on a big page again: only those change, each with its new payload.
    store.db.$client.prepare('delete from sync_cursors').run();
    adapter.orders = adapter.orders.map((raw, i) => (i % 5 === 0 ? { ...raw, modified: new Date(Date.UTC(2026, 10, 2, 12, i)).toISOString(), status: 'shipped' } : raw));
    const second = await pollAccount({ db: store.db, adapter, log: silentLog() });
    expect(second).toMatchObject({ updated: Math.ceil(adapter.orders.length / 5), unchanged: adapter.orders.length - Math.ceil(adapter.orders.length / 5) });
    for (const raw of adapter.orders) expect(payloadOf(raw.id)).toEqual(raw);
  });

  it('stores a new order that names the same line twice once per line', async () => {
    const line = { id: 'D-1', sku: '3DP-PLANTER-S', qty: 1, price: 1499 };
    adapter.orders = [order('D', 1, { lines: [line, { ...line, qty: 2 }] })];
    expect(await pollAccount({ db: store.db, adapter, log: silentLog() })).toMatchObject({ inserted: 1 });
    expect(store.db.select().from(orderItems).all()).toMatchObject([{ externalLineId: 'D-1', quantity: 2 }]);
  });
});
