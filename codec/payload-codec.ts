import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { decrypt, encrypt, type KeySet } from './keys.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** A payload that names a key this codec does not hold, or that fails authentication. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/**
 * Encrypts every payload whole (metadata included, so even the encoding of a value is hidden) with
 * the newest key of the set, and names the key in the outer metadata so any older key still
 * decrypts. The outer encoding and key id are the associated data: relabelling a payload breaks it.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: KeySet) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys.current;
    return payloads.map((payload) => ({
      metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(id) },
      data: encrypt(proto.temporal.api.common.v1.Payload.encode(payload).finish(), key, aad(id)),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || text.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const idBytes = payload.metadata?.[KEY_ID_METADATA];
      const id = idBytes ? text.decode(idBytes) : '';
      const key = this.keys.byId.get(id);
      if (!key) throw new PayloadDecryptionError(`payload is encrypted with key "${id}", which this key set lacks`);
      let plain: Buffer;
      try {
        plain = decrypt(payload.data ?? new Uint8Array(), key, aad(id));
      } catch {
        throw new PayloadDecryptionError(`payload encrypted with key "${id}" failed authentication`);
      }
      return proto.temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

const aad = (keyId: string) => utf8.encode(`${ENCRYPTED_ENCODING}:${keyId}`);
