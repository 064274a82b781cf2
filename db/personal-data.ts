import type { Db } from './connection.ts';
import { keysOf } from './connection.ts';
import { openBytes, openText, sealBytes, sealedBytesHeader, sealedBytesKeyId, sealedTextKeyId, sealedTextPrefix, sealText, type DataKeys } from './crypto.ts';

/** The columns that hold sealed values, table by table. */
const SEALED_TEXT: Record<string, string[]> = {
  orders: ['buyer_name', 'buyer_username', 'buyer_email', 'shipping_address', 'buyer_note', 'gift_message'],
  accounts: ['access_token', 'refresh_token'],
};
/** Raw payloads (compressed, then sealed): the order's and a quarantined order's. */
const SEALED_BLOBS: [table: string, key: string][] = [
  ['order_payloads', 'order_id'],
  ['quarantine', 'id'],
];
const BATCH = 500;

export interface ResealSummary {
  values: number;
  payloads: number;
  /** Values still sealed with a key other than the current one (written meanwhile by a running worker). */
  left: number;
}

/**
 * Re-seals every sealed value and raw payload with the current key (reading older ones with the
 * previous keys), and seals values stored before encryption existed. Batches of short transactions.
 */
export function resealAll(db: Db): ResealSummary {
  const keys = keysOf(db);
  const summary: ResealSummary = { values: 0, payloads: 0, left: 0 };
  const client = db.$client;
  for (const [table, columns] of Object.entries(SEALED_TEXT)) {
    let after: number | string = table === 'accounts' ? '' : 0; // accounts' ids are text
    for (;;) {
      // Read and write in one IMMEDIATE transaction: nothing written meanwhile is overwritten.
      const last = client.transaction(() => {
        const rows = client.prepare(`SELECT id AS k, ${columns.join(', ')} FROM ${table} WHERE id > ? ORDER BY id LIMIT ${BATCH}`).all(after) as Record<string, string | null>[];
        for (const row of rows) {
          const changes: Record<string, string | null> = {};
          for (const c of columns) {
            const v = row[c];
            if (v === null || v === undefined) continue;
            if (sealedTextKeyId(v) === keys.current.id) continue;
            changes[c] = sealText(keys, openText(keys, v, `${table}.${c}`), `${table}.${c}`);
          }
          const cols = Object.keys(changes);
          if (cols.length === 0) continue;
          client.prepare(`UPDATE ${table} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...cols.map((c) => changes[c]), row.k);
          summary.values += cols.length;
        }
        return rows.at(-1)?.k;
      }).immediate();
      if (last === undefined || last === null) break;
      after = last as unknown as number | string;
    }
  }
  for (const [table, key] of SEALED_BLOBS) {
    let afterId = 0;
    for (;;) {
      const last = client.transaction(() => {
        const rows = client.prepare(`SELECT ${key} AS k, payload FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT ${BATCH}`).all(afterId) as { k: number; payload: Buffer }[];
        for (const r of rows) {
          if (sealedBytesKeyId(r.payload) === keys.current.id) continue;
          client.prepare(`UPDATE ${table} SET payload = ? WHERE ${key} = ?`).run(sealBytes(keys, openBytes(keys, r.payload, `${table}.payload`), `${table}.payload`), r.k);
          summary.payloads += 1;
        }
        return rows.at(-1)?.k;
      }).immediate();
      if (last === undefined) break;
      afterId = last;
    }
  }
  summary.left = countNotUnder(db, keys);
  return summary;
}

/** How many sealed values (and payloads) are not sealed with the current key (or not sealed at all). */
export function countNotUnder(db: Db, keys: DataKeys): number {
  let n = 0;
  for (const [table, columns] of Object.entries(SEALED_TEXT)) {
    for (const c of columns) {
      n += (db.$client.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${c} IS NOT NULL AND ${c} NOT LIKE ?`).get(`${sealedTextPrefix(keys.current.id)}%`) as { n: number }).n;
    }
  }
  const header = sealedBytesHeader(keys.current.id);
  for (const [table] of SEALED_BLOBS) {
    n += (db.$client.prepare(`SELECT count(*) AS n FROM ${table} WHERE substr(payload, 1, ?) != ?`).get(header.length, header) as { n: number }).n;
  }
  return n;
}

export interface PurgeSummary {
  orders: number;
  olderThan: string;
}

/**
 * Forgets the personal data of orders shipped or cancelled more than `days` ago: buyer name, e-mail,
 * address, note, gift message, the personalization text and the raw payload (which holds all of
 * them), and quarantined raw orders older than that. Totals, items, quantities, statuses and dates
 * stay for the shop's books.
 */
export function purgePersonalData(db: Db, days: number, opts: { dryRun?: boolean; now?: number } = {}): PurgeSummary {
  const olderThan = new Date((opts.now ?? Date.now()) - days * 86_400_000).toISOString();
  const where = `status IN ('shipped', 'cancelled') AND remote_updated_at < ?
    AND (buyer_name IS NOT NULL OR buyer_username IS NOT NULL OR buyer_email IS NOT NULL OR shipping_address IS NOT NULL OR buyer_note IS NOT NULL OR gift_message IS NOT NULL
         OR EXISTS (SELECT 1 FROM order_payloads p WHERE p.order_id = orders.id)
         OR EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = orders.id AND i.personalization IS NOT NULL))`;
  const client = db.$client;
  const count = (client.prepare(`SELECT count(*) AS n FROM orders WHERE ${where}`).get(olderThan) as { n: number }).n;
  if (opts.dryRun) return { orders: count, olderThan };
  // Quarantined raw orders hold personal data too: gone after the same time, resolved or not.
  client.prepare('DELETE FROM quarantine WHERE created_at < ?').run(olderThan);
  if (count === 0) return { orders: count, olderThan };
  for (;;) {
    const ids = (client.prepare(`SELECT id FROM orders WHERE ${where} LIMIT ${BATCH}`).all(olderThan) as { id: number }[]).map((r) => r.id);
    if (ids.length === 0) break;
    const list = ids.join(',');
    client.transaction(() => {
      client
        .prepare(`UPDATE orders SET buyer_name = NULL, buyer_username = NULL, buyer_email = NULL, shipping_address = NULL, buyer_note = NULL, gift_message = NULL, address_unavailable = 1 WHERE id IN (${list})`)
        .run();
      // The buyer's text, and Amazon Custom's copy of several texts in `extra`.
      client.prepare(`UPDATE order_items SET personalization = NULL, extra = json_remove(extra, '$.customizationTexts') WHERE order_id IN (${list})`).run();
      client.prepare(`DELETE FROM order_payloads WHERE order_id IN (${list})`).run();
      client
        .prepare(`INSERT INTO events (type, order_id, message) SELECT 'order.pii_purged', id, 'personal data purged after ' || ? || ' days' FROM orders WHERE id IN (${list})`)
        .run(days);
    })();
  }
  return { orders: count, olderThan };
}
