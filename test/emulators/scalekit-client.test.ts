import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScalekitApi, ScalekitApiError } from '../../activities/apis/scalekit.js';
import { mcpConfigDefinition } from '../../activities/definitions.js';
import { startScalekitEmulator, type ScalekitEmulator } from '@inbox-agent/emulators/scalekit';

/** The project's own REST client for the Virtual MCP endpoints, against the emulator. */
describe('ScalekitApi', () => {
  let emu: ScalekitEmulator;
  let api: ScalekitApi;

  beforeAll(async () => {
    emu = await startScalekitEmulator();
    api = new ScalekitApi({ envUrl: emu.url, clientId: emu.clientId, clientSecret: emu.clientSecret });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('creates, finds (case-insensitively) and updates a config, fetching its API token once', async () => {
    expect(await api.findConfigByName('inbox-test')).toBeUndefined();
    const created = await api.createConfig(mcpConfigDefinition('inbox-test'));
    expect(created.mcp_server_url).toMatch(/\/mcp\/v3\/servers\//);
    expect((await api.findConfigByName('INBOX-TEST'))?.id).toBe(created.id);
    const updated = await api.updateConfig(created.id, {
      connection_tool_mappings: [{ connection_name: 'gmail', tools: ['gmail_fetch_mails'] }],
    });
    expect(updated.connection_tool_mappings.map((m) => m.connection_name)).toEqual(['gmail']);
    expect(emu.control.calls('POST /oauth/token')).toBe(1);
  });

  it('lists accounts with links, mints tokens, and surfaces errors with their status', async () => {
    const config = await api.createConfig(mcpConfigDefinition('inbox-test-2'));
    emu.seedUser('u1', { connections: { gmail: 'ACTIVE', googlecalendar: 'EXPIRED' } });
    const accounts = await api.listConfigAccounts(config.id, 'u1', true);
    const calendar = accounts.find((a) => a.connection_name === 'googlecalendar')!;
    expect(calendar.connected_account_status).toBe('EXPIRED');
    expect(calendar.authentication_link).toMatch(/\/magic\//);

    const refused = await api.createSessionToken(config.id, 'u1', 3600).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ScalekitApiError);
    expect((refused as ScalekitApiError).status).toBe(400);
    emu.setConnectionStatus('u1', 'googlecalendar', 'ACTIVE');
    const minted = await api.createSessionToken(config.id, 'u1', 3600);
    expect(minted.token.length).toBeGreaterThan(20);

    const missing = await api.createSessionToken('cfg_nope', 'u1', 3600).catch((e: unknown) => e);
    expect((missing as ScalekitApiError).status).toBe(404);
    expect((missing as Error).message).not.toContain(minted.token);
  });

  it('a wrong client secret is a 401 from the token endpoint', async () => {
    const wrong = new ScalekitApi({ envUrl: emu.url, clientId: emu.clientId, clientSecret: 'nope' });
    const err = await wrong.findConfigByName('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScalekitApiError);
    expect((err as ScalekitApiError).status).toBe(401);
    expect((err as Error).message).not.toContain('nope');
  });
});
