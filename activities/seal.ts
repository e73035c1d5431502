import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ErrorType, type SealedSecret } from '../workflows/contract.js';
import { nonRetryable } from './failures.js';

/**
 * Seals secrets that must cross workflow history (activity results and inputs are history) so that
 * only workers holding the key can open them. AES-256-GCM: the tag also proves the value is ours.
 */
export interface Sealer {
  seal(plaintext: string): SealedSecret;
  open(secret: SealedSecret): string;
}

export function createSealer(keyBase64: string): Sealer {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new Error('seal key must be 32 bytes');
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return { keyId, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
    },
    open(secret) {
      if (secret.keyId !== keyId) {
        throw nonRetryable(
          ErrorType.SealBroken,
          `secret was sealed with key ${secret.keyId}, this worker has ${keyId}`,
        );
      }
      try {
        const raw = Buffer.from(secret.sealed, 'base64');
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw nonRetryable(ErrorType.SealBroken, 'sealed secret failed authentication');
      }
    },
  };
}
