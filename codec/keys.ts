import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Key sets for the payload codec and the session-token seal: `id:base64key,id:base64key`, newest
 * first. The newest encrypts; every key in the set decrypts, so a rotation is "prepend the new key,
 * restart the workers, drop the old key once nothing sealed with it is still open".
 */
export interface Key {
  id: string;
  key: Buffer;
}

export interface KeySet {
  /** Encrypts (or seals) everything new. */
  current: Key;
  /** Every key that may still decrypt, by id. */
  byId: ReadonlyMap<string, Buffer>;
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const FORMAT = 'comma-separated id:base64key pairs, newest first, each key 32 random bytes (openssl rand -base64 32)';

export class KeySetError extends Error {
  override name = 'KeySetError';
}

export function keySet(keys: Key[]): KeySet {
  if (keys.length === 0) throw new KeySetError(`is empty: expected ${FORMAT}`);
  const byId = new Map<string, Buffer>();
  for (const { id, key } of keys) {
    if (byId.has(id)) throw new KeySetError(`names key id "${id}" twice`);
    byId.set(id, key);
  }
  return { current: keys[0]!, byId };
}

export function parseKeySet(spec: string): KeySet {
  const keys = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      const id = entry.slice(0, at);
      const key = Buffer.from(entry.slice(at + 1), 'base64');
      // Never echo the entry: it is key material.
      if (at < 1 || !KEY_ID_PATTERN.test(id))
        throw new KeySetError(`has an entry without a valid id: expected ${FORMAT}`);
      if (key.length !== 32) throw new KeySetError(`key "${id}" is not 32 bytes of base64: expected ${FORMAT}`);
      return { id, key };
    });
  return keySet(keys);
}

/** A fresh one-key set, for local runs and tests. */
export function generateKeySpec(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/**
 * The single `INBOX_AGENT_SEAL_KEY` of earlier releases, under the id it sealed with (a hash of the
 * key), so secrets sealed before the move to key sets still open.
 */
export function legacyKey(keyBase64: string): Key {
  const key = Buffer.from(keyBase64, 'base64');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM: `iv ‖ ciphertext ‖ tag`. `aad` binds the ciphertext to a context it must be opened in. */
export function encrypt(plaintext: Uint8Array, key: Buffer, aad?: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Throws when the key, the context (`aad`) or a single bit of `blob` is wrong. */
export function decrypt(blob: Uint8Array, key: Buffer, aad?: Uint8Array): Buffer {
  const raw = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
}
