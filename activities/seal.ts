import { Context } from '@temporalio/activity';
import { decrypt, encrypt, keySet, legacyKey, parseKeySet, type KeySet } from '../codec/keys.js';
import { ErrorType } from '../workflows/contract.js';
import type { SealedSecret } from './types.js';
import { nonRetryable } from './failures.js';

/** Where a sealed secret belongs: it opens only in the same run, for the same user. */
export interface SealBinding {
  workflowId: string;
  runId: string;
  identifier: string;
}

/**
 * Seals secrets that must cross workflow history (activity results and inputs are history) so that
 * only workers can open them. AES-256-GCM with the binding as associated data: a sealed token copied
 * into another run or another user's sweep fails authentication instead of opening.
 *
 * The seal keys are a set of their own (`INBOX_AGENT_SEAL_KEYS`), never the codec keys: operators
 * and the codec server hold the codec keys to read histories, and the session token is the one
 * value even they must not see. Deriving seal keys from codec keys would hand them that too.
 */
export interface Sealer {
  seal(plaintext: string, binding: SealBinding): SealedSecret;
  open(secret: SealedSecret, binding: SealBinding): string;
}

/** The seal key set: `INBOX_AGENT_SEAL_KEYS`, then the legacy single `INBOX_AGENT_SEAL_KEY` as the oldest. */
export function sealKeys(spec: string | undefined, legacyBase64?: string): KeySet {
  const keys = spec ? [...parseKeySet(spec).byId].map(([id, key]) => ({ id, key })) : [];
  if (legacyBase64) keys.push(legacyKey(legacyBase64));
  return keySet(keys);
}

/** The binding of the activity running now: its workflow run and the user it works for. */
export function activityBinding(identifier: string): SealBinding {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('a sealed secret belongs to a workflow run; this activity has none');
  return { workflowId: execution.workflowId, runId: execution.runId, identifier };
}

const aad = (b: SealBinding) =>
  Buffer.from(JSON.stringify(['inbox-agent/seal/v2', b.workflowId, b.runId, b.identifier]));

export function createSealer(keys: KeySet): Sealer {
  return {
    seal(plaintext, binding) {
      const { id, key } = keys.current;
      return { keyId: id, sealed: encrypt(Buffer.from(plaintext, 'utf8'), key, aad(binding)).toString('base64') };
    },
    open(secret, binding) {
      const key = keys.byId.get(secret.keyId);
      if (!key) {
        throw nonRetryable(ErrorType.SealBroken, `secret was sealed with key ${secret.keyId}, which no longer opens`);
      }
      try {
        return decrypt(Buffer.from(secret.sealed, 'base64'), key, aad(binding)).toString('utf8');
      } catch {
        throw nonRetryable(ErrorType.SealBroken, 'sealed secret failed authentication for this run and identifier');
      }
    },
  };
}
