import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Order } from '../../adapters/types.ts';
import { loadConfig } from '../../config/env.ts';
import { ensureAccount, saveTokens } from '../../db/accounts.ts';
import { closeDatabase, openDatabase, type Db } from '../../db/connection.ts';
import { keyFromFile, openBytes, sealBytes } from '../../db/crypto.ts';
import { packPayload, unpackPayload } from '../../db/payload-codec.ts';
import { orderPayload, orderPersonalData, upsertOrder } from '../../db/orders.ts';
import { purgePersonalData } from '../../db/personal-data.ts';
import { orderItems, orders } from '../../db/schema.ts';
import { orderView } from '../../jobs/fulfillment/order-view.ts';
import { loadDataKeys } from '../../src/data-keys.ts';
import { startWorker } from '../../src/worker.ts';
import { startTestWorker } from '../foundation/support-worker.ts';
import { redisPrefix, silentLog, tempDir, withEphemeralPort } from '../support/env.ts';
import { FakeAdapter, type FakeRawOrder } from '../support/fake-adapter.ts';

const BUYER = { name: 'Ingrid Quixote-Vanderbilt', email: 'ingrid.q@buyer-example.test', street: '4711 Zebrafish Lane', note: 'Leave it with Mr Oskarsson', gift: 'Happy 70th, Oma Hildegard' };
const TOKEN = 'Atzr|refresh-token-that-must-not-be-readable';

/** A marketplace whose orders carry a buyer's personal data. */
class BuyerAdapter extends FakeAdapter {
  override normalize(raw: FakeRawOrder): Order {
    return {
      ...super.normalize(raw),
      buyerName: BUYER.name,
      buyerEmail: BUYER.email,
      shippingAddress: { name: BUYER.name, line1: BUYER.street, city: 'Springfield', countryCode: 'US', phone: '+1 555 0199' },
      buyerNote: BUYER.note,
      giftMessage: BUYER.gift,
    };
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;
const rawBytes = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('orders.sqlite'))
    .map((f) => readFileSync(join(dir, f)))
    .reduce((all, b) => Buffer.concat([all, b]), Buffer.alloc(0));

describe('data at rest', () => {
  it('keeps the data directory owner-only and personal data and tokens sealed in the raw files', async () => {
    const dir = tempDir();
    const config = withEphemeralPort(loadConfig({ DATA_DIR: dir.path, SANDBOX_URL: 'http://127.0.0.1:9', POLL_INTERVAL: '1s' }));
    const adapter = new BuyerAdapter('shop-pii');
    adapter.orders = [
      { id: 'P1', modified: '2026-11-20T10:00:00.000Z', lines: [{ id: 'P1-1', sku: 'STICKER-PACK', qty: 1 }] },
      // A malformed order is quarantined with its raw payload, which holds personal data too.
      { id: 'Q1', modified: '2026-11-20T10:01:00.000Z', lines: null as never, buyer: BUYER.name } as FakeRawOrder,
    ];
    const worker = await startWorker({ config, log: silentLog(), prefix: 'pii', adapters: () => [adapter] });
    try {
      for (let i = 0; i < 100 && worker.db.select().from(orders).all().length === 0; i++) await sleep(50);
      saveTokens(worker.db, 'etsy:shop-pii', { refreshToken: TOKEN, accessToken: 'access-token-that-must-not-be-readable' });
      // Shown where it is shown, decrypted.
      expect(orderView(worker.db, 'P1')).toMatchObject({ buyerName: BUYER.name, buyerEmail: BUYER.email, buyerNote: BUYER.note, shippingAddress: { line1: BUYER.street } });
      await worker.redis.set('pii-test', 'x'); // something in the AOF
    } finally {
      await worker.stop();
    }

    expect(mode(dir.path)).toBe(0o700);
    expect(mode(join(dir.path, 'redis'))).toBe(0o700);
    expect(mode(join(dir.path, 'data.key'))).toBe(0o600);
    for (const f of readdirSync(dir.path).filter((x) => x.startsWith('orders.sqlite'))) expect(mode(join(dir.path, f)), f).toBe(0o600);
    const aofDir = join(dir.path, 'redis', 'appendonlydir');
    expect(mode(aofDir)).toBe(0o700);
    for (const f of readdirSync(aofDir)) expect(mode(join(aofDir, f)), f).toBe(0o600);

    const raw = rawBytes(dir.path).toString('latin1');
    for (const secret of [BUYER.name, BUYER.email, BUYER.street, BUYER.note, BUYER.gift, '555 0199', TOKEN, 'access-token-that-must-not-be-readable']) {
      expect(raw.includes(secret), secret).toBe(false);
    }
    // The payload too: it is compressed, so look inside it through the store (sealed, then opened).
    const db = openDatabase(config.databasePath, loadDataKeys(config));
    try {
      const row = db.select().from(orders).get()!;
      expect(row.buyerName).toMatch(/^osw1:[0-9a-f]{8}:/);
      expect(row.shippingAddress).toMatch(/^osw1:/);
      expect(orderPayload(db, row.id)).toMatchObject({ id: 'P1' });
      const stored = db.$client.prepare('select payload from order_payloads').get() as { payload: Buffer };
      expect(stored.payload.subarray(0, 4).toString()).toBe('OSW1');
      const quarantined = db.$client.prepare("select payload from quarantine where external_id = 'Q1'").get() as { payload: Buffer };
      expect(quarantined.payload.subarray(0, 4).toString()).toBe('OSW1');
    } finally {
      closeDatabase(db);
      dir.remove();
    }
  }, 30_000);

  it('rotates the key: every value re-sealed, the old key gone, nothing lost', () => {
    const dir = tempDir();
    const env = { DATA_DIR: dir.path, ENV_FILE: '/nonexistent', PATH: process.env.PATH ?? '' };
    const config = loadConfig(env);
    const db = openDatabase(config.databasePath, loadDataKeys(config));
    const adapter = new BuyerAdapter('shop-rotate');
    for (const id of ['R1', 'R2']) db.$client.transaction(() => upsertFor(db, adapter, id))();
    saveTokens(db, 'etsy:shop-rotate', { refreshToken: TOKEN });
    closeDatabase(db);
    const oldKey = keyFromFile(config.dataKeyFile);

    const run = spawnSync(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/cli.ts', 'keys', 'rotate'], { env, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/re-sealed 11 values and 2 payloads; the old key is gone/);
    const second = spawnSync(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/cli.ts', 'keys', 'rotate'], { env, encoding: 'utf8' });
    expect(second.stdout).toMatch(/re-sealed 11 values and 2 payloads; the old key is gone/); // a second rotation loses nothing
    const newKey = keyFromFile(config.dataKeyFile);
    expect(newKey.id).not.toBe(oldKey.id);
    expect(existsSync(`${config.dataKeyFile}.previous`)).toBe(false);
    expect(mode(config.dataKeyFile)).toBe(0o600);

    const after = openDatabase(config.databasePath, { current: newKey, previous: [] }); // the old key is not needed any more
    try {
      for (const row of after.select().from(orders).all()) {
        expect(row.buyerName!.startsWith(`osw1:${newKey.id}:`)).toBe(true);
        expect(orderPersonalData(after, row)).toMatchObject({ buyerName: BUYER.name, shippingAddress: { line1: BUYER.street } });
        expect(orderPayload(after, row.id)).toMatchObject({ id: row.externalId });
      }
      const token = after.$client.prepare("select refresh_token from accounts where id = 'etsy:shop-rotate'").get() as { refresh_token: string };
      expect(token.refresh_token.startsWith(`osw1:${newKey.id}:`)).toBe(true);
    } finally {
      closeDatabase(after);
      dir.remove();
    }
  });

  it('reads back payloads stored gzip-compressed before the deflate format, and stores new ones deflated', () => {
    const dir = tempDir();
    const config = loadConfig({ DATA_DIR: dir.path, ENV_FILE: '/nonexistent', PATH: process.env.PATH ?? '' });
    const keys = loadDataKeys(config);
    const db = openDatabase(config.databasePath, keys);
    try {
      const adapter = new BuyerAdapter('shop-codec');
      for (const id of ['G1', 'D1']) db.$client.transaction(() => upsertFor(db, adapter, id))();
      const g1 = db.select().from(orders).all().find((o) => o.externalId === 'G1')!;
      const d1 = db.select().from(orders).all().find((o) => o.externalId === 'D1')!;
      // G1 as an earlier version stored it: gzip inside the seal.
      const legacy = sealBytes(keys, gzipSync(JSON.stringify({ id: 'G1', legacy: true })), 'order_payloads.payload');
      db.$client.prepare('UPDATE order_payloads SET payload = ? WHERE order_id = ?').run(legacy, g1.id);
      expect(orderPayload(db, g1.id)).toMatchObject({ id: 'G1', legacy: true });
      const current = openBytes(keys, (db.$client.prepare('SELECT payload FROM order_payloads WHERE order_id = ?').get(d1.id) as { payload: Buffer }).payload, 'order_payloads.payload');
      expect(current.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))).toBe(false); // not gzip
      expect(JSON.parse(inflateRawSync(current).toString('utf8'))).toMatchObject({ id: 'D1' });
      expect(unpackPayload(packPayload({ a: 'ü'.repeat(5_000) }))).toEqual({ a: 'ü'.repeat(5_000) });
    } finally {
      closeDatabase(db);
      dir.remove();
    }
  });

  it('rotation refuses to run beside a running worker', async () => {
    const redis = redisPrefix();
    const t = await startTestWorker({ prefix: `${redis.prefix}-rotate`, adapters: [] });
    const env = { DATA_DIR: t.dir.path, DATABASE_PATH: t.worker.config.databasePath, ENV_FILE: '/nonexistent', PATH: process.env.PATH ?? '' };
    const rotate = () => spawnSync(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/cli.ts', 'keys', 'rotate'], { env, encoding: 'utf8' });
    try {
      const refused = rotate();
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/the worker is running \(pid \d+\): stop it first/);
    } finally {
      await t.dispose();
      await redis.cleanup();
    }
  });

  it('purges personal data of orders shipped long ago, keeping the figures; the dry run only counts', () => {
    const dir = tempDir();
    const config = loadConfig({ DATA_DIR: dir.path });
    const db = openDatabase(config.databasePath, loadDataKeys(config));
    try {
      const adapter = new BuyerAdapter('shop-purge');
      adapter.orders = [
        { id: 'OLD', modified: '2026-01-10T10:00:00.000Z', status: 'shipped', lines: [{ id: 'OLD-1', sku: '3DP-NAMESIGN', qty: 1, price: 2450, text: 'Hildegard' }] },
        { id: 'NEW', modified: '2026-11-20T10:00:00.000Z', status: 'shipped', lines: [{ id: 'NEW-1', sku: '3DP-NAMESIGN', qty: 1, price: 2450, text: 'Oskar' }] },
        { id: 'OPEN', modified: '2026-01-10T10:00:00.000Z', status: 'unshipped', lines: [{ id: 'OPEN-1', sku: '3DP-NAMESIGN', qty: 1, price: 2450, text: 'Lena' }] },
      ];
      for (const o of adapter.orders) db.$client.transaction(() => upsertFor(db, adapter, o.id))();
      const now = Date.parse('2026-11-25T00:00:00Z');
      expect(purgePersonalData(db, 90, { dryRun: true, now })).toMatchObject({ orders: 1 });
      expect(db.select().from(orders).all().every((o) => o.buyerName !== null)).toBe(true);
      expect(purgePersonalData(db, 90, { now })).toMatchObject({ orders: 1 });
      const byId = new Map(db.select().from(orders).all().map((o) => [o.externalId, o]));
      expect(byId.get('OLD')).toMatchObject({ buyerName: null, buyerEmail: null, shippingAddress: null, buyerNote: null, giftMessage: null, totalMinor: 2450, status: 'shipped' });
      expect(byId.get('NEW')!.buyerName).not.toBeNull();
      expect(byId.get('OPEN')!.buyerName).not.toBeNull(); // not shipped: still needed
      expect(orderPayload(db, byId.get('OLD')!.id)).toBeUndefined();
      const items = db.select().from(orderItems).all();
      expect(items.find((i) => i.externalLineId === 'OLD-1')).toMatchObject({ personalization: null, quantity: 1, unitPriceMinor: 2450 });
      expect(purgePersonalData(db, 90, { now })).toMatchObject({ orders: 0 }); // done once
    } finally {
      closeDatabase(db);
      dir.remove();
    }
  });
});

function upsertFor(db: Db, adapter: BuyerAdapter, id: string) {
  ensureAccount(db, 'etsy', adapter.accountId);
  const raw: FakeRawOrder = adapter.orders.find((o) => o.id === id) ?? { id, modified: '2026-11-20T10:00:00.000Z', lines: [{ id: `${id}-1`, sku: 'STICKER-PACK', qty: 1 }] };
  return upsertOrder(db, adapter.normalize(raw), raw);
}
