import { ScalekitClient } from '@scalekit-sdk/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScalekitApi, ScalekitApiError } from '../../activities/apis/scalekit.js';
import { mcpConfigDefinition } from '../../activities/definitions.js';
import { startScalekitEmulator, type ScalekitEmulator } from '@inbox-agent/emulators/scalekit';

/**
 * Scalekit's refusals as the service words them: the token mint's 400s with distinct `error_code`s,
 * and the per-client rate limit, with and without `retry-after` (Scalekit documents none), over
 * REST (our client; the Node SDK 2.11 has no Virtual MCP calls) and gRPC (the Node SDK).
 */
describe('the Scalekit emulator, strictly', () => {
  let emu: ScalekitEmulator;
  let api: ScalekitApi;
  let configId: string;

  beforeAll(async () => {
    emu = await startScalekitEmulator();
  });
  beforeEach(async () => {
    emu.reset();
    api = new ScalekitApi({ envUrl: emu.url, clientId: emu.clientId, clientSecret: emu.clientSecret });
    configId = (await api.createConfig(mcpConfigDefinition('strict'))).id;
  });
  afterAll(async () => {
    await emu?.close();
  });

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (err: unknown) => err as ScalekitApiError,
    );

  it('refuses a mint for an inactive connection with CONNECTED_ACCOUNT_NOT_ACTIVE', async () => {
    emu.seedUser('ann', { connections: { gmail: 'EXPIRED', googlecalendar: 'ACTIVE' } });
    const err = await refusal(api.createSessionToken(configId, 'ann', 3600));
    expect(err).toMatchObject({ status: 400, errorCode: 'CONNECTED_ACCOUNT_NOT_ACTIVE' });
  });

  it('refuses an invalid expiry with INVALID_ARGUMENT, whatever the accounts', async () => {
    emu.seedUser('ben', { connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' } });
    const err = await refusal(api.createSessionToken(configId, 'ben', 90_000));
    expect(err).toMatchObject({ status: 400, errorCode: 'INVALID_ARGUMENT' });
    // The product's error carries status and code only, never the body's words (they may echo input).
    expect(err.message).not.toMatch(/expiry/);
  });

  it('refuses a malformed identifier with INVALID_ARGUMENT', async () => {
    const err = await refusal(api.createSessionToken(configId, 'x'.repeat(300), 3600));
    expect(err).toMatchObject({ status: 400, errorCode: 'INVALID_ARGUMENT' });
  });

  it('rate-limits a client over REST with RESOURCE_EXHAUSTED and, when asked, retry-after', async () => {
    emu.control.rateLimit({ burst: 1, perSecond: 1 });
    await api.findConfigByName('strict');
    const err = await refusal(api.findConfigByName('strict'));
    expect(err).toMatchObject({ status: 429, errorCode: 'RESOURCE_EXHAUSTED' });
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(emu.control.throttled()).toEqual([expect.objectContaining({ key: emu.clientId })]);
  });

  it('rate-limits without retry-after when switched so, as Scalekit documents none', async () => {
    emu.control.rateLimit({ burst: 1, perSecond: 1, retryAfter: false });
    await api.findConfigByName('strict');
    const err = await refusal(api.findConfigByName('strict'));
    expect(err).toMatchObject({ status: 429, retryAfterMs: undefined });
  });

  it('rate-limits gRPC calls too: the Node SDK throws at once on RESOURCE_EXHAUSTED', async () => {
    emu.seedUser('cat', { connections: { gmail: 'ACTIVE' } });
    const sdk = new ScalekitClient(emu.url, emu.clientId, emu.clientSecret);
    await sdk.actions.listConnectedAccounts({ identifier: 'cat', connectionName: 'gmail' });
    emu.control.rateLimit({ burst: 1, perSecond: 0.5 });
    await sdk.actions.listConnectedAccounts({ identifier: 'cat', connectionName: 'gmail' });
    const before = emu.control.calls('grpc ListConnectedAccounts');
    await expect(sdk.actions.listConnectedAccounts({ identifier: 'cat', connectionName: 'gmail' })).rejects.toThrow();
    expect(emu.control.calls('grpc ListConnectedAccounts') - before).toBe(1);
    expect(emu.control.throttled()).toHaveLength(1);
  });
});
