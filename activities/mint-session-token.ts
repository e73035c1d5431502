import { ErrorType } from '../workflows/contract.js';
import type { MintedToken } from './types.js';
import { ScalekitApiError, type ScalekitApi } from './apis/scalekit.js';
import type { ActivityDeps } from './deps.js';
import { nonRetryable } from './failures.js';
import { activityBinding } from './seal.js';
import type { Provisioning } from './provisioning.js';

/** Scalekit accepts 60 s to 24 h. */
const MAX_EXPIRY_S = 24 * 3600;
/** Covers the gap between mint and the session's first MCP call (vault upsert, session create). */
const EXPIRY_MARGIN_S = 10 * 60;

/**
 * `error_code`s of a 400 that say the request itself is wrong (grpc-gateway's INVALID_ARGUMENT, and
 * OUT_OF_RANGE, which it also maps to 400): no wait for the user fixes those.
 */
const VALIDATION_CODES = new Set(['INVALID_ARGUMENT', 'OUT_OF_RANGE']);

export function tokenExpirySeconds(sessionTimeoutMs: number): number {
  return Math.min(Math.ceil(sessionTimeoutMs / 1000) + EXPIRY_MARGIN_S, MAX_EXPIRY_S);
}

/**
 * Reads a 400 from the mint. Scalekit documents the refusal ("a connection has no active connected
 * account", SK-OAS) but no `error_code` for it (evidence B12): it may come as FAILED_PRECONDITION, as
 * INVALID_ARGUMENT like any validation error, as a code of its own, or bare. So the accounts' state
 * decides first, whatever the code: a mapped connection that is not ACTIVE sends the sweep back to
 * the re-authorization wait; with every account ACTIVE, a validation code fails the sweep and any
 * other refusal (the account went active since) is retried.
 */
async function classifyRefusal(
  scalekit: ScalekitApi,
  err: ScalekitApiError,
  mcpConfigId: string,
  identifier: string,
): Promise<Error> {
  const accounts = await scalekit.listConfigAccounts(mcpConfigId, identifier, false);
  const inactive = accounts.filter((a) => a.connected_account_status !== 'ACTIVE').map((a) => a.connection_name);
  if (inactive.length > 0) {
    return nonRetryable(ErrorType.ConnectionInactive, `${err.message}; inactive: ${inactive.join(', ')}`, err);
  }
  if (err.errorCode && VALIDATION_CODES.has(err.errorCode)) {
    return nonRetryable(ErrorType.InvalidRequest, `${err.message} (${err.errorCode})`, err);
  }
  return new Error(`${err.message}, yet every connection is ACTIVE now; retrying`, { cause: err });
}

/**
 * A short-lived session token for the config, returned sealed: activity results are workflow
 * history, and the token must never sit there in plaintext.
 */
export function createMintSessionToken({ scalekit, sealer }: ActivityDeps, provisioning: Provisioning) {
  /** `sessionTimeoutMs`: the longest the session may run; the token lives a little longer. */
  return async function mintSessionToken(identifier: string, sessionTimeoutMs: number): Promise<MintedToken> {
    const { mcpConfigId } = await provisioning.resolve();
    try {
      const minted = await scalekit.createSessionToken(mcpConfigId, identifier, tokenExpirySeconds(sessionTimeoutMs));
      const expiresAt =
        minted.expires_at ?? new Date(Date.now() + tokenExpirySeconds(sessionTimeoutMs) * 1000).toISOString();
      return { token: sealer.seal(minted.token, activityBinding(identifier)), expiresAt };
    } catch (err) {
      if (err instanceof ScalekitApiError && err.status === 400) {
        throw await classifyRefusal(scalekit, err, mcpConfigId, identifier);
      }
      throw err;
    }
  };
}
