import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Buyers' personal data and the marketplace tokens are stored sealed with AES-256-GCM (node:crypto):
 * a fresh 12-byte IV per value, the 16-byte tag authenticating it. A sealed text reads
 * `osw1:<key id>:<base64 of iv | tag | ciphertext>`; the key id (from the key's hash) says which key
 * sealed it, so a rotation can read the old key's values while it re-seals them with the new one.
 */
const PREFIX = 'osw1:';
const MAGIC = Buffer.from('OSW1');
/** Hex digits of the key's SHA-256 that name it in every sealed value. */
const KEY_ID_LENGTH = 8;

export interface DataKey {
  id: string;
  key: Buffer;
}

/** The key that seals, and older ones that may still open values (during a rotation). */
export interface DataKeys {
  current: DataKey;
  previous: DataKey[];
}

export class DataKeyError extends Error {
  override name = 'DataKeyError';
}

export const dataKey = (key: Buffer): DataKey => {
  if (key.length !== 32) throw new DataKeyError(`a data key is 32 bytes (AES-256), this one is ${key.length}`);
  return { id: createHash('sha256').update(key).digest('hex').slice(0, KEY_ID_LENGTH), key };
};

/** A key from DATA_KEY's text: 64 hex digits or base64 of 32 bytes. */
export function parseDataKey(text: string): DataKey {
  const t = text.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  return dataKey(bytes);
}

export const newDataKey = (): DataKey => dataKey(randomBytes(32));
export const encodeDataKey = (k: DataKey): string => k.key.toString('base64');

/** The key file's key, created (0600, base64) on first start. */
export function keyFromFile(path: string): DataKey {
  if (!existsSync(path)) {
    const k = newDataKey();
    writeFileSync(path, `${encodeDataKey(k)}\n`, { mode: 0o600, flag: 'wx' });
    return k;
  }
  return parseDataKey(readFileSync(path, 'utf8'));
}

/** Every key in a file of keys, one per line (the `.previous` file keeps each older key until unused). */
export function keysFromFile(path: string): DataKey[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map(parseDataKey);
}

const TAG_BYTES = 16;

/**
 * `purpose` (the table and column, e.g. "orders.buyer_note") is authenticated with the value: a
 * sealed token copied into a buyer note does not open there.
 */
/** A key as a KeyObject, made once: createCipheriv would otherwise convert the raw bytes on every value. */
const keyObjects = new WeakMap<Buffer, KeyObject>();
function keyObject(key: Buffer): KeyObject {
  let k = keyObjects.get(key);
  if (!k) keyObjects.set(key, (k = createSecretKey(key)));
  return k;
}

/**
 * IVs are cut from a block of random bytes drawn at once (as node's randomUUID does): one call into
 * the CSPRNG per 512 values instead of one per value, which was a tenth of the ingest's time.
 * A block is never reused or overwritten; each IV is 12 fresh random bytes.
 */
const IV_BYTES = 12;
const IV_BLOCK = IV_BYTES * 512;
let ivBlock = Buffer.alloc(0);
let ivAt = 0;
function freshIv(): Buffer {
  if (ivAt + IV_BYTES > ivBlock.length) {
    ivBlock = randomBytes(IV_BLOCK);
    ivAt = 0;
  }
  return ivBlock.subarray(ivAt, (ivAt += IV_BYTES));
}

function encrypt(k: DataKey, plain: Buffer, purpose: string): Buffer {
  const iv = freshIv();
  const cipher = createCipheriv('aes-256-gcm', keyObject(k.key), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(purpose, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function decrypt(keys: DataKeys, id: string, sealed: Buffer, purpose: string): Buffer {
  const k = [keys.current, ...keys.previous].find((x) => x.id === id);
  if (!k) throw new DataKeyError(`a value was sealed with data key ${id}, which is not configured (DATA_KEY, DATA_KEY_PREVIOUS or the key file)`);
  if (sealed.length < 12 + TAG_BYTES) throw new DataKeyError('a sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', keyObject(k.key), sealed.subarray(0, 12), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(purpose, 'utf8'));
  decipher.setAuthTag(sealed.subarray(12, 12 + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(12 + TAG_BYTES)), decipher.final()]);
}

/** How every text sealed with this key starts (a rotation counts the values that do not). */
export const sealedTextPrefix = (keyId: string) => `${PREFIX}${keyId}:`;
/** How every payload sealed with this key starts. */
export const sealedBytesHeader = (keyId: string) => Buffer.concat([MAGIC, Buffer.from(keyId, 'ascii')]);

export function sealText(keys: DataKeys, plain: string | null | undefined, purpose: string): string | null {
  if (plain === null || plain === undefined) return null;
  return `${sealedTextPrefix(keys.current.id)}${encrypt(keys.current, Buffer.from(plain, 'utf8'), purpose).toString('base64')}`;
}

/** A sealed text opened; a value from before encryption (no prefix) is returned as it is. */
export function openText(keys: DataKeys, stored: string | null | undefined, purpose: string): string | null {
  if (stored === null || stored === undefined) return null;
  if (!stored.startsWith(PREFIX)) return stored;
  const [id, body] = stored.slice(PREFIX.length).split(':');
  return decrypt(keys, id!, Buffer.from(body ?? '', 'base64'), purpose).toString('utf8');
}

const isSealedText = (stored: string | null | undefined) => typeof stored === 'string' && stored.startsWith(PREFIX);

/** The id of the key that sealed a text; undefined for a text stored before encryption. */
export const sealedTextKeyId = (stored: string): string | undefined => (isSealedText(stored) ? stored.slice(PREFIX.length).split(':')[0] : undefined);

/** Bytes (a compressed raw payload) sealed: MAGIC, the key id, then iv | tag | ciphertext. */
export function sealBytes(keys: DataKeys, plain: Buffer, purpose: string): Buffer {
  return Buffer.concat([sealedBytesHeader(keys.current.id), encrypt(keys.current, plain, purpose)]);
}

const isSealedBytes = (stored: Buffer) => stored.subarray(0, MAGIC.length).equals(MAGIC);

const KEY_ID_END = MAGIC.length + KEY_ID_LENGTH;

/** The id of the key that sealed a payload; undefined for one stored before encryption. */
export const sealedBytesKeyId = (stored: Buffer): string | undefined => (isSealedBytes(stored) ? stored.subarray(MAGIC.length, KEY_ID_END).toString('ascii') : undefined);

export function openBytes(keys: DataKeys, stored: Buffer, purpose: string): Buffer {
  const keyId = sealedBytesKeyId(stored);
  if (keyId === undefined) return stored;
  return decrypt(keys, keyId, stored.subarray(KEY_ID_END), purpose);
}
