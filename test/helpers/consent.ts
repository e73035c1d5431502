import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReauthorizationNotice } from '../../activities/notify.js';
import {
  parseCallbackConfig,
  startCallback,
  type CallbackOutcome,
  type RunningCallback,
} from '../../callback/index.js';
import { oidcIdentity, sessionKey } from '../../callback/identity.js';
import { startLocalOidcProvider } from '@inbox-agent/emulators/oidc';
import { parseWorkerConfig } from '../../worker/config.js';
import { buildActivityDeps } from '../../worker/deps.js';
import { startTestStack, type TestStack } from './stack.js';

export interface ReceivedWebhook {
  at: number;
  body: string;
  notice: ReauthorizationNotice;
  signature: string;
  status: number;
}

/** An app's webhook endpoint: records every delivery, and answers `status` to the next `failures` of them. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Deliveries answered 2xx. */
  delivered(identifier?: string): ReceivedWebhook[];
  /** The next `times` deliveries are answered `status` (default 500) with these headers. */
  failNext(times: number, status?: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failures = 0;
  let failure = { status: 500, headers: {} as Record<string, string> };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const failing = failures > 0;
      const status = failing ? failure.status : 204;
      if (failing) failures -= 1;
      received.push({
        at: Date.now(),
        body,
        notice: JSON.parse(body) as ReauthorizationNotice,
        signature: String(req.headers['x-inbox-agent-signature'] ?? ''),
        status,
      });
      res.writeHead(status, failing ? failure.headers : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/inbox-agent`,
    received,
    delivered: (identifier) =>
      received.filter((r) => r.status < 300 && (identifier === undefined || r.notice.identifier === identifier)),
    failNext(times, status = 500, headers = {}) {
      failures = times;
      failure = { status, headers };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The test stack plus what closes the consent loop: the callback, a webhook receiver, and workers using both. */
export interface ConsentStack extends TestStack {
  callback: RunningCallback;
  webhook: WebhookReceiver;
  consentKey: string;
  webhookSecret: string;
  outcomes: CallbackOutcome[];
  /**
   * Opens a callback URL as a person signed in as `as` (through the trusted-proxy header the stack's
   * callback believes from loopback), or as nobody.
   */
  visit(url: string, as?: string): Promise<Response>;
}

/** The header the stack's callback takes the signed-in user from (as behind oauth2-proxy). */
export const SIGNED_IN_HEADER = 'x-forwarded-user';

/**
 * `identity: 'oidc'` signs people in against a local OIDC provider (the one `npm start` runs) that
 * knows `oidcUsers`; the default believes the trusted-proxy header from loopback (`visit`).
 */
export async function startConsentStack(
  name: string,
  options: { identity?: 'proxy' | 'oidc'; oidcUsers?: string[] } = {},
): Promise<ConsentStack> {
  const stack = await startTestStack(name);
  // With the callback deployed, the Scalekit environment runs in its production mode.
  stack.emulators.scalekit.userVerification = 'custom';
  const { INBOX_AGENT_SCALEKIT_USER_VERIFICATION: _testMode, ...productionEnv } = stack.workerEnv;
  const webhook = await startWebhookReceiver();
  const consentKey = randomBytes(32).toString('base64');
  const webhookSecret = randomBytes(24).toString('hex');
  const outcomes: CallbackOutcome[] = [];
  const callback =
    options.identity === 'oidc'
      ? await startOidcCallback(stack, consentKey, options.oidcUsers ?? [], (o) => outcomes.push(o))
      : await startCallback(
          parseCallbackConfig({
            ...stack.workerEnv,
            INBOX_AGENT_CONSENT_KEY: consentKey,
            INBOX_AGENT_CALLBACK_PORT: '0',
            INBOX_AGENT_CALLBACK_IDENTITY: 'proxy',
            INBOX_AGENT_CALLBACK_TRUSTED_PROXIES: 'loopback',
          }),
          stack.inbox,
          { log: () => {}, onOutcome: (o) => outcomes.push(o), store: stack.deps.state },
        );
  const workerEnv = {
    ...productionEnv,
    INBOX_AGENT_CALLBACK_URL: callback.url,
    INBOX_AGENT_CONSENT_KEY: consentKey,
    INBOX_AGENT_WEBHOOK_URL: webhook.url,
    INBOX_AGENT_WEBHOOK_SECRET: webhookSecret,
  };
  // The same workers as the stack's, with the consent settings; they share the stack's state store.
  const built = await buildActivityDeps(parseWorkerConfig(workerEnv), stack.temporal.client);
  await built.state.close();
  const deps = { ...built, state: stack.deps.state };
  return {
    ...stack,
    deps,
    workerEnv,
    startWorker: (override = deps, ...rest) => stack.startWorker(override, ...rest),
    callback,
    webhook,
    consentKey,
    webhookSecret,
    outcomes,
    visit: (url, as) => fetch(url, { redirect: 'manual', headers: as ? { [SIGNED_IN_HEADER]: as } : {} }),
    async close() {
      await callback.close();
      await webhook.close();
      await stack.close();
    },
  };
}

/**
 * A consent callback over the stack that signs people in against a local OIDC provider (the one
 * `npm start` runs) knowing `users` (read live); closing it closes the provider too.
 */
export async function startOidcCallback(
  stack: TestStack,
  consentKey: string,
  users: string[],
  onOutcome?: (outcome: CallbackOutcome) => void,
): Promise<RunningCallback & { issuer: string; closeProvider(): Promise<void> }> {
  let provider: Awaited<ReturnType<typeof startLocalOidcProvider>> | undefined;
  const callback = await startCallback(
    parseCallbackConfig({
      ...stack.workerEnv,
      INBOX_AGENT_CONSENT_KEY: consentKey,
      INBOX_AGENT_CALLBACK_PORT: '0',
      // Its own address is its public URL (a consent stack's env names the stack's callback).
      INBOX_AGENT_CALLBACK_URL: undefined,
      // Overridden by `identity` below; the proxy settings only satisfy the config's rules.
      INBOX_AGENT_CALLBACK_IDENTITY: 'proxy',
      INBOX_AGENT_CALLBACK_TRUSTED_PROXIES: '192.0.2.1',
    }),
    stack.inbox,
    {
      log: () => {},
      ...(onOutcome ? { onOutcome } : {}),
      store: stack.deps.state,
      identity: async (publicUrl: string) => {
        provider = await startLocalOidcProvider({ users, redirectUris: [`${publicUrl}/login/callback`] });
        return oidcIdentity({
          issuer: provider.issuer,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          claim: 'sub',
          publicUrl,
          key: sessionKey(consentKey),
        });
      },
    },
  );
  return {
    url: callback.url,
    issuer: provider!.issuer,
    closeProvider: async () => provider?.close(),
    async close() {
      await callback.close();
      await provider?.close();
    },
  };
}
