import { z } from 'zod';
import { KeySetError, parseKeySet } from './keys.js';

/** A key-set variable (`id:base64key,...`, newest first), checked without ever echoing its value. */
export const keySetSpec = z.string().superRefine((value, ctx) => {
  try {
    parseKeySet(value);
  } catch (err) {
    if (!(err instanceof KeySetError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

/** Bytes that appear in both sets: codec keys are for operators, seal keys must stay worker-only. */
export function sharedKeys(a: string, b: string): boolean {
  // A malformed set is reported by its own field's check; it shares nothing here.
  const bytes = (spec: string) => {
    try {
      return [...parseKeySet(spec).byId.values()].map((k) => k.toString('hex'));
    } catch {
      return [];
    }
  };
  const inA = new Set(bytes(a));
  return bytes(b).some((k) => inA.has(k));
}
