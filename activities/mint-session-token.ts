import { ErrorType, type MintedToken } from '../workflows/contract.js';
import { ScalekitApiError } from './apis/scalekit.js';
import type { ActivityDeps } from './deps.js';
import { nonRetryable } from './failures.js';
import type { Provisioning } from './provisioning.js';

/** Scalekit accepts 60 s to 24 h. */
const MAX_EXPIRY_S = 24 * 3600;
/** Covers the gap between mint and the session's first MCP call (vault upsert, session create). */
const EXPIRY_MARGIN_S = 10 * 60;

export function tokenExpirySeconds(sessionTimeoutMs: number): number {
  return Math.min(Math.ceil(sessionTimeoutMs / 1000) + EXPIRY_MARGIN_S, MAX_EXPIRY_S);
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
      return { token: sealer.seal(minted.token), expiresAt };
    } catch (err) {
      // Our own expiry is always in range, so a 400 here means a mapped connection went inactive.
      if (err instanceof ScalekitApiError && err.status === 400) {
        throw nonRetryable(ErrorType.ConnectionInactive, err.message, err);
      }
      throw err;
    }
  };
}
