import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

export interface LocalOidcProvider {
  /** The issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export interface LocalOidcOptions {
  /** The identifiers that may sign in (read live: a caller may add to it); each becomes its ID token's `sub`. */
  users: string[];
  /** Where the consent callback receives the code (`<callback>/login/callback`). */
  redirectUris: string[];
  port?: number;
  host?: string;
}

/**
 * A real OIDC provider (panva's `oidc-provider`, certified) for `npm start` and the tests: the consent
 * callback signs people in against it exactly as against a deployment's own provider. Its built-in
 * development login page takes a login name and any password; only the demo users get an account
 * (anyone else is refused when the callback redeems the code). One confidential client, code flow
 * with PKCE required, and no consent screen: the callback is first-party here.
 */
export async function startLocalOidcProvider(options: LocalOidcOptions): Promise<LocalOidcProvider> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const clientId = 'inbox-agent-callback';
  const clientSecret = randomBytes(24).toString('base64url');
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: (_ctx, id) =>
      options.users.includes(id) ? { accountId: id, claims: () => ({ sub: id }) } : undefined,
    // First-party: sign-in grants the callback's `openid` scope without a consent screen.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid');
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
