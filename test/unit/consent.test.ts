import { describe, expect, it } from 'vitest';
import { ConsentStateError, createConsentState } from '../../consent/state.js';
import { parseCallbackConfig } from '../../callback/config.js';
import { parseWorkerConfig } from '../../worker/config.js';

const key = Buffer.alloc(32, 1).toString('base64');
const scalekit = {
  SCALEKIT_ENV_URL: 'https://acme.scalekit.dev',
  SCALEKIT_CLIENT_ID: 'skc_1',
  SCALEKIT_CLIENT_SECRET: 'secret',
};
const worker = {
  ...scalekit,
  ANTHROPIC_API_KEY: 'sk-ant-1',
  ANTHROPIC_ENVIRONMENT_ID: 'env_1',
  INBOX_AGENT_CODEC_KEYS: `k1:${Buffer.alloc(32, 8).toString('base64')}`,
  INBOX_AGENT_SEAL_KEY: Buffer.alloc(32, 7).toString('base64'),
  INBOX_AGENT_SCALEKIT_USER_VERIFICATION: 'dashboard',
};

describe('consent state', () => {
  const codec = createConsentState(key);

  it('round-trips the user and connection, with a fresh id each time', async () => {
    const binding = { identifier: 'u-1', connection: 'gmail' };
    const a = await codec.verify(await codec.sign(binding));
    const b = await codec.verify(await codec.sign(binding));
    expect(a).toMatchObject(binding);
    expect(a.id).not.toBe(b.id);
    expect(a.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("stays under Scalekit's 512 characters for the longest identifier", async () => {
    const state = await codec.sign({ identifier: 'x'.repeat(100), connection: 'googlecalendar' });
    expect(state.length).toBeLessThan(512);
  });

  it.each([
    [
      'another key',
      async () =>
        createConsentState(Buffer.alloc(32, 2).toString('base64')).sign({ identifier: 'u', connection: 'gmail' }),
      'forged',
      400,
    ],
    ['expired', async () => codec.sign({ identifier: 'u', connection: 'gmail' }, -1), 'expired', 410],
    ['garbage', async () => 'not-a-state', 'malformed', 400],
    [
      'alg none',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u","conn":"gmail"}').toString('base64url')}.`,
      'malformed',
      400,
    ],
  ])('refuses %s', async (_name, make, reason, status) => {
    const err = await codec.verify(await make()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsentStateError);
    expect(err).toMatchObject({ reason, status });
  });
});

describe('consent configuration', () => {
  it('a callback URL needs the consent key, a webhook URL its secret', () => {
    expect(() => parseWorkerConfig({ ...worker, INBOX_AGENT_CALLBACK_URL: 'https://app.example/cb' })).toThrow(
      /^INBOX_AGENT_CONSENT_KEY is not set/,
    );
    expect(() => parseWorkerConfig({ ...worker, INBOX_AGENT_WEBHOOK_URL: 'https://app.example/hook' })).toThrow(
      /^INBOX_AGENT_WEBHOOK_SECRET is not set/,
    );
    expect(
      parseWorkerConfig({ ...worker, INBOX_AGENT_CALLBACK_URL: 'https://app.example/cb', INBOX_AGENT_CONSENT_KEY: key })
        .INBOX_AGENT_CALLBACK_URL,
    ).toBe('https://app.example/cb');
  });

  it("in Scalekit's production mode (the default) the worker refuses to start without a callback", () => {
    const { INBOX_AGENT_SCALEKIT_USER_VERIFICATION: _, ...production } = worker;
    expect(() => parseWorkerConfig(production)).toThrow(/^INBOX_AGENT_CALLBACK_URL is not set: Scalekit's custom/);
    expect(() => parseWorkerConfig({ ...worker, INBOX_AGENT_SCALEKIT_USER_VERIFICATION: 'custom' })).toThrow(
      /^INBOX_AGENT_CALLBACK_URL is not set/,
    );
    expect(
      parseWorkerConfig({
        ...production,
        INBOX_AGENT_CALLBACK_URL: 'https://app.example/cb',
        INBOX_AGENT_CONSENT_KEY: key,
      }).INBOX_AGENT_SCALEKIT_USER_VERIFICATION,
    ).toBe('custom');
  });

  it('the callback needs Scalekit, the consent key and an identity source, not Anthropic', () => {
    const proxy = { INBOX_AGENT_CALLBACK_IDENTITY: 'proxy', INBOX_AGENT_CALLBACK_TRUSTED_PROXIES: '10.0.0.1' };
    expect(parseCallbackConfig({ ...scalekit, INBOX_AGENT_CONSENT_KEY: key, ...proxy })).toMatchObject({
      INBOX_AGENT_CALLBACK_PORT: 8788,
    });
    expect(() => parseCallbackConfig({ ...scalekit, INBOX_AGENT_CONSENT_KEY: key })).toThrow(
      /^INBOX_AGENT_OIDC_ISSUER is not set \(INBOX_AGENT_CALLBACK_IDENTITY=oidc needs it\)/,
    );
    expect(() =>
      parseCallbackConfig({ ...scalekit, INBOX_AGENT_CONSENT_KEY: key, INBOX_AGENT_CALLBACK_IDENTITY: 'proxy' }),
    ).toThrow(/^INBOX_AGENT_CALLBACK_TRUSTED_PROXIES is not set/);
    expect(() => parseCallbackConfig(scalekit)).toThrow(/^INBOX_AGENT_CONSENT_KEY is not set/);
    expect(() => parseCallbackConfig({ ...scalekit, INBOX_AGENT_CONSENT_KEY: 'short' })).toThrow(
      /^INBOX_AGENT_CONSENT_KEY must be/,
    );
  });
});
