import type { AddressInfo } from 'node:net';
import { ScalekitConnectedAccounts } from '../consent/connected-accounts.js';
import { createConsentState } from '../consent/state.js';
import { createApprovalLinks } from '../consent/approval-links.js';
import type { InboxAgentClient } from '../client/index.js';
import type { CallbackConfig } from './config.js';
import { createCallbackServer, type CallbackOutcome } from './server.js';

export { createCallbackHandler, createCallbackServer, type CallbackDeps, type CallbackOutcome } from './server.js';
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
  options: { log?: (line: string) => void; onOutcome?: (outcome: CallbackOutcome) => void } = {},
): Promise<RunningCallback> {
  const server = createCallbackServer(
    {
      state: createConsentState(config.INBOX_AGENT_CONSENT_KEY),
      accounts: new ScalekitConnectedAccounts({
        envUrl: config.SCALEKIT_ENV_URL,
        clientId: config.SCALEKIT_CLIENT_ID,
        clientSecret: config.SCALEKIT_CLIENT_SECRET,
      }),
      inbox,
      // Verifying needs only the key; links are made by workers, which know the public URL.
      approvals: createApprovalLinks(config.INBOX_AGENT_CONSENT_KEY, 'http://callback.invalid'),
      log: options.log,
    },
    options.onOutcome,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.INBOX_AGENT_CALLBACK_PORT, config.INBOX_AGENT_CALLBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.INBOX_AGENT_CALLBACK_HOST.includes(':')
    ? `[${config.INBOX_AGENT_CALLBACK_HOST}]`
    : config.INBOX_AGENT_CALLBACK_HOST;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
