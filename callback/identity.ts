import { hkdfSync } from 'node:crypto';
import cookieParser from 'cookie-parser';
import express, { type Request, type Response, type Router } from 'express';
import { jwtVerify, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import proxyaddr from 'proxy-addr';

/**
 * Who is signed in to the app, as the callback's verify route asks it. Scalekit's user-verification
 * guide: read the user from the application's own session, never from the link. Three sources:
 * OIDC login (standalone), a trusted proxy's header, or the integrator's own (`resolveIdentifier`).
 */
export interface IdentitySource {
  /** The signed-in user's identifier, or undefined when nobody (trusted) is signed in. */
  identify(req: Request): Promise<string | undefined> | string | undefined;
  /** Sends a visitor with no session to sign in and back to `returnTo` (a path). Absent: a "sign in" page. */
  login?(req: Request, res: Response, returnTo: string): Promise<void>;
  /** Routes the source needs beside /verify (OIDC's redirect URI). */
  routes?: Router;
  /** Which source this is and how it is set up, for `doctor` (no secrets, no address lists). */
  describe?: string;
  /** Whether the source can sign anyone in now (OIDC: the provider answers); throws saying why not. */
  check?(): Promise<void>;
}

/** What `/healthz/identity` answers, and `doctor` reads. */
export interface IdentityHealth {
  source: string;
  ok: boolean;
  problem?: string;
}

/** Runs the source's own check, bounded, for the health route. */
export async function identityHealth(identity: IdentitySource): Promise<IdentityHealth> {
  const source = identity.describe ?? 'custom';
  try {
    await identity.check?.();
    return { source, ok: true };
  } catch (err) {
    return { source, ok: false, problem: err instanceof Error ? err.message : String(err) };
  }
}

/** An integrator's own session: the callback mounted in their app (`createConsentRouter`). */
export function embeddedIdentity(
  resolveIdentifier: (req: Request) => Promise<string | undefined> | string | undefined,
): IdentitySource {
  return { identify: resolveIdentifier, describe: "embedded: the integrator's app resolves the signed-in user" };
}

/**
 * Behind oauth2-proxy or an authenticating ingress: the user named in `header`, believed only on a
 * connection from one of `trusted` (addresses, CIDRs or proxy-addr's names such as `loopback`,
 * matched by the `proxy-addr` package Express itself uses). From anywhere else the header is
 * ignored, as anyone can send it.
 */
export function proxyHeaderIdentity(header: string, trusted: string[]): IdentitySource {
  const trust = proxyaddr.compile(trusted);
  const name = header.toLowerCase();
  return {
    describe: `trusted proxy header ${name} from ${trusted.length} configured address(es)`,
    identify(req) {
      const peer = req.socket.remoteAddress;
      if (!peer || !trust(peer, 0)) return undefined;
      const value = req.headers[name];
      return typeof value === 'string' && value !== '' ? value : undefined;
    },
  };
}

export interface OidcIdentityOptions {
  /** The provider's issuer URL; its discovery document says the rest. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The ID token claim that holds the user's inbox-agent identifier. */
  claim: string;
  /** The callback's public base URL: the redirect URI is `<publicUrl>/login/callback`. */
  publicUrl: string;
  /** Signs the session cookies (derived from the consent key by `sessionKey`). */
  key: Uint8Array;
  /** How long a sign-in lasts. */
  sessionSeconds?: number;
}

const SESSION_COOKIE = 'inbox_agent_session';
const LOGIN_COOKIE = 'inbox_agent_login';
const LOGIN_SECONDS = 600;

/** The session cookies' key, apart from the consent key it is derived from (HKDF-SHA256). */
export function sessionKey(consentKeyBase64: string): Uint8Array {
  return new Uint8Array(
    hkdfSync('sha256', Buffer.from(consentKeyBase64, 'base64'), Buffer.alloc(0), 'inbox-agent callback session', 32),
  );
}

const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

/**
 * OIDC login, authorization-code flow with PKCE, through `openid-client` (panva): the provider's
 * discovery document, S256 code challenge, state and nonce checked on return. The session is a JWT
 * (`jose`, HS256) in a signed cookie that is HttpOnly, SameSite=Lax (it must come back on the
 * top-level redirect from the provider) and Secure unless the callback is on loopback.
 */
export async function oidcIdentity(options: OidcIdentityOptions): Promise<IdentitySource> {
  const issuer = new URL(options.issuer);
  const config = await oidc.discovery(
    issuer,
    options.clientId,
    options.clientSecret,
    undefined,
    // A provider on loopback (npm start's) speaks plain HTTP; anything else must be HTTPS.
    isLoopback(issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  const base = options.publicUrl.endsWith('/') ? options.publicUrl : `${options.publicUrl}/`;
  const redirectUri = new URL('login/callback', base).href;
  const cookie = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: !isLoopback(new URL(base)),
    path: new URL(base).pathname,
  };
  const sessionSeconds = options.sessionSeconds ?? 8 * 3600;
  const sign = (claims: Record<string, unknown>, seconds: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
      .sign(options.key);
  const read = async (token: unknown) => {
    if (typeof token !== 'string') return undefined;
    try {
      return (await jwtVerify(token, options.key, { algorithms: ['HS256'] })).payload;
    } catch {
      return undefined;
    }
  };

  const routes = express.Router();
  routes.use(cookieParser());
  routes.get('/login/callback', async (req, res) => {
    const login = await read(req.cookies?.[LOGIN_COOKIE]);
    res.clearCookie(LOGIN_COOKIE, cookie);
    if (!login || typeof login.v !== 'string' || typeof login.s !== 'string' || typeof login.r !== 'string') {
      res.redirect(303, new URL('verify/login-expired', base).pathname);
      return;
    }
    const current = new URL(req.originalUrl, redirectUri);
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: login.v,
      expectedState: login.s,
      expectedNonce: login.n as string,
    });
    const identifier = tokens.claims()?.[options.claim];
    if (typeof identifier !== 'string' || identifier === '') {
      throw new Error(`the ID token has no ${options.claim} claim`);
    }
    res.cookie(SESSION_COOKIE, await sign({ sub: identifier }, sessionSeconds), {
      ...cookie,
      maxAge: sessionSeconds * 1000,
    });
    res.redirect(303, login.r);
  });

  const discoveryUrl = new URL(
    '.well-known/openid-configuration',
    issuer.href.endsWith('/') ? issuer : `${issuer.href}/`,
  );
  return {
    routes,
    describe: `OIDC login at ${issuer.href} (claim ${options.claim})`,
    async check() {
      // The provider's discovery document, as a sign-in starts from it; a bounded wait.
      const res = await fetch(discoveryUrl, { signal: AbortSignal.timeout(5000) }).catch((err: unknown) => {
        throw new Error(
          `${discoveryUrl.href}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
        );
      });
      if (!res.ok) throw new Error(`${discoveryUrl.href} answered ${res.status}`);
    },
    async identify(req) {
      // The consent router runs cookie-parser before every route.
      const session = await read((req.cookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE]);
      return typeof session?.sub === 'string' ? session.sub : undefined;
    },
    async login(_req, res, returnTo) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      res.cookie(LOGIN_COOKIE, await sign({ v: verifier, s: state, n: nonce, r: returnTo }, LOGIN_SECONDS), {
        ...cookie,
        maxAge: LOGIN_SECONDS * 1000,
      });
      res.redirect(303, url.href);
    },
  };
}
