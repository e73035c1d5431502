import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_TOKEN_TTL_SECONDS = 86399;

export interface SessionClaims {
  iss: string;
  sub: string;
  aud: string;
  mcp_cfg: string;
  ca_ids: string[];
  iat: number;
  exp: number;
  jti: string;
}

export function bearer(header: string | null | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * API access tokens are opaque and remembered; MCP session tokens are self-contained HS256 JWTs
 * (the real service signs RS256) so the MCP endpoint can check them without a lookup.
 */
export class Tokens {
  private readonly secret = randomBytes(32);
  private readonly apiTokens = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  issueApiToken(): string {
    const token = randomBytes(24).toString('base64url');
    this.apiTokens.set(token, this.now() + API_TOKEN_TTL_SECONDS * 1000);
    return token;
  }

  isApiToken(token: string | undefined): boolean {
    const expiresAt = token === undefined ? undefined : this.apiTokens.get(token);
    return expiresAt !== undefined && expiresAt > this.now();
  }

  mintSession(claims: SessionClaims): string {
    const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
    return `${unsigned}.${this.sign(unsigned)}`;
  }

  /** The claims of a well-signed, unexpired session token, else undefined. */
  verifySession(token: string): SessionClaims | undefined {
    const [header, payload, signature] = token.split('.');
    if (header === undefined || payload === undefined || signature === undefined) return undefined;
    const expected = Buffer.from(this.sign(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as SessionClaims;
    return claims.exp * 1000 > this.now() ? claims : undefined;
  }

  private sign(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('base64url');
  }
}

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
