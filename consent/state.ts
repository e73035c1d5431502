import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { isValidIdentifier } from '../workflows/contract.js';

/**
 * The `state` we hand Scalekit with each authorization link; Scalekit gives it back on the redirect
 * to our callback. It is a compact JWT signed with HMAC-SHA256 (HS256, through `jose`) under a key
 * the workers and the callback share, so the callback can trust what it names without a lookup:
 * the user (`sub`), the connection, the waiting sweep, and an expiry. Nothing in it is secret.
 */
export interface ConsentBinding {
  identifier: string;
  connection: string;
  /** The sweep waiting for this consent, when a sweep made the link. */
  workflowId?: string;
}

/** Why a state was refused; `status` is what the callback answers. */
export class ConsentStateError extends Error {
  override name = 'ConsentStateError';
  constructor(
    readonly reason: 'malformed' | 'forged' | 'expired',
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return this.reason === 'expired' ? 410 : 400;
  }
}

/** The key workers and callback share (`INBOX_AGENT_CONSENT_KEY`), as the environment gives it. */
export const consentKeySchema = z
  .string()
  .refine(
    (v) => Buffer.from(v, 'base64').length >= 32,
    'must be at least 32 random bytes in base64 (openssl rand -base64 32)',
  );

const AUDIENCE = 'inbox-agent:consent-callback';
const ISSUER = 'inbox-agent';
/** Longer than a link lives (~1 min): the person may take a while on the provider's consent screen. */
export const DEFAULT_STATE_TTL_SECONDS = 3600;

export interface ConsentStateCodec {
  sign(binding: ConsentBinding, ttlSeconds?: number): Promise<string>;
  verify(state: string): Promise<ConsentBinding>;
}

export function createConsentState(keyBase64: string): ConsentStateCodec {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length < 32) throw new Error('consent state key must be at least 32 bytes');
  return {
    async sign({ identifier, connection, workflowId }, ttlSeconds = DEFAULT_STATE_TTL_SECONDS) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ conn: connection, ...(workflowId ? { wf: workflowId } : {}) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(identifier)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(key);
    },
    async verify(state) {
      let payload;
      try {
        ({ payload } = await jwtVerify(state, key, { algorithms: ['HS256'], audience: AUDIENCE, issuer: ISSUER }));
      } catch (err) {
        if (err instanceof errors.JWTExpired) throw new ConsentStateError('expired', 'this link has expired');
        if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWTClaimValidationFailed) {
          throw new ConsentStateError('forged', 'this link was not made by inbox-agent');
        }
        throw new ConsentStateError('malformed', 'this link is damaged');
      }
      const { sub, conn, wf } = payload;
      if (typeof sub !== 'string' || !isValidIdentifier(sub) || typeof conn !== 'string') {
        throw new ConsentStateError('malformed', 'this link names no user or connection');
      }
      return { identifier: sub, connection: conn, ...(typeof wf === 'string' ? { workflowId: wf } : {}) };
    },
  };
}
