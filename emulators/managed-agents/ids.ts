import { randomBytes } from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** `<prefix>_011C…`: the real API's 22-character base58 tail, so ID-shape checks in clients behave the same. */
export function newId(prefix: string): string {
  const bytes = randomBytes(18);
  let tail = '011C';
  for (const byte of bytes) tail += ALPHABET[byte % ALPHABET.length];
  return `${prefix}_${tail}`;
}
