import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { openUserStateStore } from '../activities/state/index.js';
import type { UserStateStore } from '../activities/user-state.js';
import { oidcIdentity, proxyHeaderIdentity, sessionKey, type IdentitySource } from './identity.js';
import { ScalekitConnectedAccounts } from '../consent/connected-accounts.js';
import { createConsentState } from '../consent/state.js';
import { createApprovalLinks } from '../consent/approval-links.js';
import type { InboxAgentClient } from '../client/index.js';
import type { CallbackConfig } from './config.js';
import { createConsentRouter, type CallbackOutcome } from './server.js';

export { createConsentRouter, type CallbackDeps, type CallbackOutcome } from './server.js';
export { embeddedIdentity, oidcIdentity, proxyHeaderIdentity, type IdentitySource } from './identity.js';
export { parseCallbackConfig, type CallbackConfig } from './config.js';

export interface RunningCallback {
  /** Base URL: the workers' INBOX_AGENT_CALLBACK_URL when nothing sits in front of it. */
  url: string;
  close(): Promise<void>;
}

/** Starts the callback over the given Temporal client (npm start, tests) or the one main.ts connects. */
export async function startCallback(
  config: CallbackConfig,
  inbox: InboxAgentClient,
  options: {
    log?: (line: string) => void;
    onOutcome?: (outcome: CallbackOutcome) => void;
    /** The state store to record spent states in; default: opened from the config. */
    store?: UserStateStore;
    /** Who is signed in; default: from the config (OIDC or the trusted proxy header). */
    identity?: (publicUrl: string) => Promise<IdentitySource>;
  } = {},
): Promise<RunningCallback> {
  const ownStore = options.store ? undefined : await openUserStateStore(config.INBOX_AGENT_DATABASE_URL);
  const store = options.store ?? ownStore!;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.INBOX_AGENT_CALLBACK_PORT, config.INBOX_AGENT_CALLBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.INBOX_AGENT_CALLBACK_HOST.includes(':')
    ? `[${config.INBOX_AGENT_CALLBACK_HOST}]`
    : config.INBOX_AGENT_CALLBACK_HOST;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const publicUrl = config.INBOX_AGENT_CALLBACK_URL ?? url;
  const identity = await (options.identity ?? ((u: string) => identityFromConfig(config, u)))(publicUrl);
  const app = express();
  app.disable('x-powered-by');
  app.use(
    createConsentRouter({
      state: createConsentState(config.INBOX_AGENT_CONSENT_KEY),
      accounts: new ScalekitConnectedAccounts({
        envUrl: config.SCALEKIT_ENV_URL,
        clientId: config.SCALEKIT_CLIENT_ID,
        clientSecret: config.SCALEKIT_CLIENT_SECRET,
      }),
      inbox,
      // Verifying needs only the key; links are made by workers, which know the public URL.
      approvals: createApprovalLinks(config.INBOX_AGENT_CONSENT_KEY, 'http://callback.invalid'),
      store,
      identity,
      log: options.log,
      onOutcome: options.onOutcome,
    }),
  );
  server.on('request', app);
  return {
    url,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ownStore?.close();
    },
  };
}

/** The identity source the environment names (docs/consent.md, "Who is signed in"). */
export async function identityFromConfig(config: CallbackConfig, publicUrl: string): Promise<IdentitySource> {
  if (config.INBOX_AGENT_CALLBACK_IDENTITY === 'proxy') {
    const trusted = config.INBOX_AGENT_CALLBACK_TRUSTED_PROXIES!.split(',').map((s) => s.trim());
    return proxyHeaderIdentity(config.INBOX_AGENT_CALLBACK_PROXY_HEADER, trusted);
  }
  return oidcIdentity({
    issuer: config.INBOX_AGENT_OIDC_ISSUER!,
    clientId: config.INBOX_AGENT_OIDC_CLIENT_ID!,
    clientSecret: config.INBOX_AGENT_OIDC_CLIENT_SECRET!,
    claim: config.INBOX_AGENT_OIDC_CLAIM,
    publicUrl,
    key: sessionKey(config.INBOX_AGENT_CONSENT_KEY),
  });
}
