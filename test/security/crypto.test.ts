import { describe, expect, it } from 'vitest';
import { DataKeyError, newDataKey, openBytes, openText, sealBytes, sealText } from '../../db/crypto.ts';

describe('sealing at rest (AES-256-GCM)', () => {
  const keys = { current: newDataKey(), previous: [] };

  it('opens what it sealed, with a fresh IV each time', () => {
    const a = sealText(keys, 'Zoë O\u2019Brien', 'orders.buyer_name')!;
    const b = sealText(keys, 'Zoë O\u2019Brien', 'orders.buyer_name')!;
    expect(a).not.toBe(b);
    expect(openText(keys, a, 'orders.buyer_name')).toBe('Zoë O\u2019Brien');
    expect(openBytes(keys, sealBytes(keys, Buffer.from([1, 2, 3]), 'order_payloads.payload'), 'order_payloads.payload')).toEqual(Buffer.from([1, 2, 3]));
  });

  it('a value moved to another column does not open there (the column is authenticated)', () => {
    const token = sealText(keys, 'refresh-token-secret', 'accounts.refresh_token')!;
    expect(() => openText(keys, token, 'orders.buyer_note')).toThrow();
  });

  it('refuses a tampered or truncated value, and names a missing key', () => {
    const sealed = sealText(keys, 'hello', 'orders.buyer_note')!;
    const bytes = Buffer.from(sealed.split(':')[2]!, 'base64');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    expect(() => openText(keys, `osw1:${keys.current.id}:${bytes.toString('base64')}`, 'orders.buyer_note')).toThrow();
    expect(() => openText(keys, `osw1:${keys.current.id}:${bytes.subarray(0, 20).toString('base64')}`, 'orders.buyer_note')).toThrow(DataKeyError);
    const other = { current: newDataKey(), previous: [] };
    expect(() => openText(other, sealed, 'orders.buyer_note')).toThrow(/not configured/);
    expect(openText({ current: other.current, previous: [keys.current] }, sealed, 'orders.buyer_note')).toBe('hello'); // during a rotation
  });

  it('reads a value stored before encryption as it is (until a rotation seals it)', () => {
    expect(openText(keys, 'plain from an older version', 'orders.buyer_name')).toBe('plain from an older version');
  });
});
