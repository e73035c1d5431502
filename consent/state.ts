import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import { isValidIdentifier } from '../workflows/contract.js';

/**
 * The `state` we hand Scalekit with each authorization link; Scalekit gives it back on the redirect
 * to our callback. It only correlates (Scalekit's user-verification guide: never take identity from
 * it): the callback checks that the signed-in user is the user it names, then spends it. A compact
 * JWT signed with HMAC-SHA256 (HS256, through `jose`) under a key the workers and the callback share:
 * the user (`sub`), the connection (`c`), a random id (`jti`) the callback records so the state works
 * once, and an expiry. No issuer, audience or sweep id: it must stay under Scalekit's 512 characters
 * for any valid identifier (about 300 at 100 characters); the callback finds the user's sweeps itself.
 */
export interface ConsentBinding {
  identifier: string;
  connection: string;
}

/** A verified state: what it binds, plus its id and expiry for the single-use record. */
export interface VerifiedConsentState extends ConsentBinding {
  id: string;
  expiresAt: Date;
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
  verify(state: string): Promise<VerifiedConsentState>;
}

export function createConsentState(keyBase64: string): ConsentStateCodec {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length < 32) throw new Error('consent state key must be at least 32 bytes');
  return {
    async sign({ identifier, connection }, ttlSeconds = DEFAULT_STATE_TTL_SECONDS) {
      const claims = { c: connection, jti: randomBytes(12).toString('base64url') };
      return signFor(claims, identifier, AUDIENCE, Math.floor(Date.now() / 1000) + ttlSeconds, key);
    },
    async verify(state) {
      const { sub, c, jti, exp } = await verifySigned(state, key, AUDIENCE);
      if (typeof sub !== 'string' || !isValidIdentifier(sub) || typeof c !== 'string' || typeof jti !== 'string') {
        throw new ConsentStateError('malformed', 'this link names no user or connection');
      }
      return { identifier: sub, connection: c, id: jti, expiresAt: new Date(exp! * 1000) };
    },
  };
}

/**
 * Checks a token this deployment signed (HS256 under the consent key) for one audience: consent
 * states and approval links share the key, never the audience, so neither passes for the other.
 */
export async function verifySigned(token: string, key: Uint8Array, audience: string): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, key, { algorithms: ['HS256'], audience, issuer: ISSUER })).payload;
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new ConsentStateError('expired', 'this link has expired');
    if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWTClaimValidationFailed) {
      throw new ConsentStateError('forged', 'this link was not made by inbox-agent');
    }
    throw new ConsentStateError('malformed', 'this link is damaged');
  }
}

/** Signs claims for `verifySigned`: subject, issuer, audience, issued now, expiring at `expiresAt` (unix s). */
export function signFor(claims: JWTPayload, subject: string, audience: string, expiresAt: number, key: Uint8Array) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(key);
}
