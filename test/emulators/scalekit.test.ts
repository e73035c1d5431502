import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ScalekitClient } from '@scalekit-sdk/node';
import { ConnectorStatus } from '@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/connected_accounts/connected_accounts_pb.js';
import { startScalekitEmulator, type ScalekitEmulator } from '@inbox-agent/emulators/scalekit';

const GMAIL_TOOLS = ['gmail_fetch_mails'];
const GCAL_TOOLS = [
  'googlecalendar_list_calendars',
  'googlecalendar_list_events',
  'googlecalendar_get_event_by_id',
  'googlecalendar_create_event',
  'googlecalendar_update_event',
];
const SEED_MAPPINGS = [
  { connection_name: 'gmail', tools: GMAIL_TOOLS },
  { connection_name: 'googlecalendar', tools: GCAL_TOOLS },
];

let emu: ScalekitEmulator;
let clock = Date.now();
let apiToken: string;

beforeAll(async () => {
  emu = await startScalekitEmulator({ now: () => clock });
  apiToken = ((await (await requestApiToken(emu.clientSecret)).json()) as { access_token: string }).access_token;
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  clock = Date.now();
});

function requestApiToken(clientSecret: string): Promise<Response> {
  return fetch(`${emu.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      client_secret: clientSecret,
    }),
  });
}

async function api(
  method: string,
  path: string,
  body?: object,
  token = apiToken,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function createConfig(name = 'email-calendar-demo', mappings: object[] = SEED_MAPPINGS) {
  const res = await api('POST', '/api/v1/mcp/configs', { name, connection_tool_mappings: mappings });
  expect(res.status).toBe(201);
  return res.body.config as { id: string; mcp_server_url: string };
}

async function mintToken(configId: string, identifier: string, expiry?: string) {
  return api('POST', `/api/v1/mcp/configs/${configId}/tokens`, { identifier, expiry });
}

async function mcpClient(url: string, token?: string): Promise<Client> {
  const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const client = new Client({ name: 'scalekit-emulator-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

function toolJson(result: Awaited<ReturnType<Client['callTool']>>): any {
  const [first] = result.content as Array<{ type: string; text: string }>;
  return JSON.parse(first!.text);
}

describe('connected accounts through the Node SDK (gRPC)', () => {
  const sdk = () => new ScalekitClient(emu.url, emu.clientId, emu.clientSecret);

  it('answers the token-less first call with UNAUTHENTICATED, so the SDK fetches a token and retries', async () => {
    emu.seedUser('alice', { connections: { gmail: 'ACTIVE', googlecalendar: 'EXPIRED' } });
    const res = await sdk().actions.listConnectedAccounts({ identifier: 'alice', connectionName: 'gmail' });
    expect(res.connectedAccounts.map((a) => [a.connector, a.status, a.provider])).toEqual([
      ['gmail', ConnectorStatus.ACTIVE, 'GMAIL'],
    ]);
    expect(res.connectedAccounts[0]!.id).toMatch(/^ca_/);
    expect(emu.control.calls('POST /oauth/token')).toBe(1);
    expect(emu.control.calls('grpc ListConnectedAccounts')).toBe(2);
  });

  it('issues API tokens for the client credentials only', async () => {
    const res = await requestApiToken(emu.clientSecret);
    expect(await res.json()).toMatchObject({
      token_type: 'Bearer',
      expires_in: 86399,
      access_token: expect.any(String),
    });
  });

  it('rejects bad client credentials at the token endpoint', async () => {
    const client = new ScalekitClient(emu.url, emu.clientId, 'wrong');
    await expect(client.actions.listConnectedAccounts({ identifier: 'alice' })).rejects.toThrow();
    const res = await requestApiToken('wrong');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('in custom user verification (the default, production) mode a link without user_verify_url fails at the exchange', async () => {
    const client = sdk();
    const { link } = await client.actions.getAuthorizationLink({ identifier: 'alice', connectionName: 'gmail' });
    const confirmed = await fetch(`${link}/confirm`, { method: 'POST', redirect: 'manual' });
    expect(confirmed.status).toBe(400);
    expect(await confirmed.text()).toContain('failed_to_exchange');
    const account = await client.actions.getConnectedAccount({ identifier: 'alice', connectionName: 'gmail' });
    expect(account.connectedAccount?.status).toBe(ConnectorStatus.PENDING_AUTH);
    // Scalekit's request limits (the SDK's own descriptors): identifier 100, state 512.
    await expect(
      client.actions.getAuthorizationLink({ identifier: 'a'.repeat(101), connectionName: 'gmail' }),
    ).rejects.toMatchObject({ httpStatus: 400 });
    await expect(
      client.actions.getAuthorizationLink({ identifier: 'alice', connectionName: 'gmail', state: 's'.repeat(513) }),
    ).rejects.toMatchObject({ httpStatus: 400 });
    await expect(client.actions.listConnectedAccounts({ identifier: 'a'.repeat(101) })).rejects.toMatchObject({
      httpStatus: 400,
    });
  });

  it('in the dashboard-users test mode, connects an account through a magic link without user verification', async () => {
    emu.userVerification = 'dashboard';
    const client = sdk();
    const link = await client.actions.getAuthorizationLink({ identifier: 'alice', connectionName: 'gmail' });
    expect(link.link).toBe(emu.authLinks('alice')[0]!.url);
    expect(link.expiry).toBeDefined();
    const pending = await client.actions.getConnectedAccount({ identifier: 'alice', connectionName: 'gmail' });
    expect(pending.connectedAccount?.status).toBe(ConnectorStatus.PENDING_AUTH);

    const page = await fetch(link.link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('alice');
    const confirmed = await fetch(`${link.link}/confirm`, { method: 'POST', redirect: 'manual' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('connected');
    const active = await client.actions.getConnectedAccount({ identifier: 'alice', connectionName: 'gmail' });
    expect(active.connectedAccount?.status).toBe(ConnectorStatus.ACTIVE);

    expect((await fetch(`${link.link}/confirm`, { method: 'POST' })).status).toBe(410);
  });

  it('redirects to the user verify URL and activates the account on verifyConnectedAccountUser', async () => {
    const client = sdk();
    const { link } = await client.actions.getAuthorizationLink({
      identifier: 'alice',
      connectionName: 'googlecalendar',
      state: 'xyz',
      userVerifyUrl: 'https://app.example/verify',
    });
    const confirmed = await fetch(`${link}/confirm`, { method: 'POST', redirect: 'manual' });
    expect(confirmed.status).toBe(302);
    const target = new URL(confirmed.headers.get('location')!);
    expect(`${target.origin}${target.pathname}`).toBe('https://app.example/verify');
    expect(target.searchParams.get('state')).toBe('xyz');
    const authRequestId = target.searchParams.get('auth_request_id')!;
    const list = await client.actions.listConnectedAccounts({ identifier: 'alice' });
    expect(list.connectedAccounts[0]?.status).toBe(ConnectorStatus.PENDING_VERIFICATION);

    await expect(
      client.actions.verifyConnectedAccountUser({ authRequestId, identifier: 'mallory' }),
    ).rejects.toMatchObject({
      httpStatus: 403,
    });
    const verified = await client.actions.verifyConnectedAccountUser({ authRequestId, identifier: 'alice' });
    expect((await fetch(verified.postUserVerifyRedirectUrl)).status).toBe(200);
    const active = await client.actions.getConnectedAccount({ identifier: 'alice', connectionName: 'googlecalendar' });
    expect(active.connectedAccount?.status).toBe(ConnectorStatus.ACTIVE);
    await expect(
      client.actions.verifyConnectedAccountUser({ authRequestId, identifier: 'alice' }),
    ).rejects.toMatchObject({
      httpStatus: 404,
    });
  });

  it('expires magic links after about a minute, as the service documents', async () => {
    const { link, expiry } = await sdk().actions.getAuthorizationLink({ identifier: 'alice', connectionName: 'gmail' });
    expect(Number(expiry!.seconds) * 1000 - clock).toBeLessThanOrEqual(60_000);
    clock += 59_000;
    expect((await fetch(link)).status).toBe(200);
    clock += 1_001;
    expect((await fetch(link)).status).toBe(410);
  });

  it('verifies only an auth request that exists, belongs to the identifier and is unused', async () => {
    const client = sdk();
    const verifies = () => emu.control.calls('grpc VerifyConnectedAccountUser');
    await expect(
      client.actions.verifyConnectedAccountUser({ authRequestId: 'ar_unknown', identifier: 'alice' }),
    ).rejects.toMatchObject({ httpStatus: 404 });
    const { link } = await client.actions.getAuthorizationLink({
      identifier: 'alice',
      connectionName: 'gmail',
      state: 's',
      userVerifyUrl: 'https://app.example/verify/alice',
    });
    const redirect = await fetch(`${link}/confirm`, { method: 'POST', redirect: 'manual' });
    const authRequestId = new URL(redirect.headers.get('location')!).searchParams.get('auth_request_id')!;
    // Another user's identifier is refused and leaves the request usable by its owner.
    await expect(client.actions.verifyConnectedAccountUser({ authRequestId, identifier: 'bob' })).rejects.toMatchObject(
      {
        httpStatus: 403,
        errorCode: 'IDENTIFIER_MISMATCH',
      },
    );
    const pending = await client.actions.getConnectedAccount({ identifier: 'alice', connectionName: 'gmail' });
    expect(pending.connectedAccount?.status).toBe(ConnectorStatus.PENDING_VERIFICATION);
    await client.actions.verifyConnectedAccountUser({ authRequestId, identifier: 'alice' });
    await expect(
      client.actions.verifyConnectedAccountUser({ authRequestId, identifier: 'alice' }),
    ).rejects.toMatchObject({ httpStatus: 404 });
    expect(verifies()).toBeGreaterThanOrEqual(4);
  });

  it('creates, gets-or-creates and deletes connected accounts', async () => {
    const client = sdk();
    const created = await client.actions.getOrCreateConnectedAccount({ identifier: 'gina', connectionName: 'gmail' });
    expect(created.connectedAccount?.status).toBe(ConnectorStatus.PENDING_AUTH);
    const again = await client.actions.getOrCreateConnectedAccount({ identifier: 'gina', connectionName: 'gmail' });
    expect(again.connectedAccount?.id).toBe(created.connectedAccount?.id);
    await expect(
      client.actions.createConnectedAccount({
        identifier: 'gina',
        connectionName: 'gmail',
        authorizationDetails: undefined,
      }),
    ).rejects.toMatchObject({ httpStatus: 409 });

    await client.actions.deleteConnectedAccount({ identifier: 'gina', connectionName: 'gmail' });
    expect((await client.actions.listConnectedAccounts({ identifier: 'gina' })).connectedAccounts).toEqual([]);
  });

  it('maps injected HTTP statuses to gRPC codes (429 → RESOURCE_EXHAUSTED, not retried)', async () => {
    const client = sdk();
    await client.actions.listConnectedAccounts({});
    emu.control.inject({ route: 'grpc ListConnectedAccounts', status: 429, times: 1 });
    await expect(client.actions.listConnectedAccounts({})).rejects.toMatchObject({ httpStatus: 429 });
    await expect(
      client.actions.getConnectedAccount({ identifier: 'nobody', connectionName: 'gmail' }),
    ).rejects.toMatchObject({
      httpStatus: 404,
      errorCode: 'NOT_FOUND',
    });
  });
});

describe('Virtual MCP configs over REST', () => {
  it('needs an access token', async () => {
    const res = await api('GET', '/api/v1/mcp/configs', undefined, 'not-a-token');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 16, details: [{ error_code: 'UNAUTHENTICATED' }] });
  });

  it('creates, lists, gets, updates and deletes configs', async () => {
    const config = await createConfig();
    expect(config).toMatchObject({ id: expect.stringMatching(/^cfg_/), name: 'email-calendar-demo' });
    expect(config.mcp_server_url).toMatch(new RegExp(`^${emu.url}/mcp/v3/servers/[0-9a-f-]{36}$`));
    await createConfig('other');

    const duplicate = await api('POST', '/api/v1/mcp/configs', { name: 'email-calendar-demo' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({
      code: 6,
      details: [{ '@type': 'type.googleapis.com/scalekit.v1.errdetails.ErrorInfo', error_code: 'ALREADY_EXISTS' }],
    });
    expect((await api('POST', '/api/v1/mcp/configs', { name: 'Bad Name' })).status).toBe(400);
    const malformed = await fetch(`${emu.url}/api/v1/mcp/configs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: '{',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 3, details: [{ error_code: 'INVALID_ARGUMENT' }] });

    const byName = await api('GET', '/api/v1/mcp/configs?filter.name=EMAIL-Calendar-Demo');
    expect(byName.body).toMatchObject({ total_size: 1, configs: [{ id: config.id }] });
    const byId = await api('GET', `/api/v1/mcp/configs?filter.id=${config.id}`);
    expect(byId.body.configs.map((c: { name: string }) => c.name)).toEqual(['email-calendar-demo']);
    const paged = await api('GET', '/api/v1/mcp/configs?page_size=1');
    expect(paged.body.configs).toHaveLength(1);
    const second = await api('GET', `/api/v1/mcp/configs?page_size=1&page_token=${paged.body.next_page_token}`);
    expect(second.body.configs[0].name).toBe('other');

    const got = await api('GET', `/api/v1/mcp/configs/${config.id}`);
    expect(got.body.config.connection_tool_mappings).toEqual([
      { connection_name: 'gmail', tools: GMAIL_TOOLS, connection_id: expect.any(String), provider: 'GMAIL' },
      {
        connection_name: 'googlecalendar',
        tools: GCAL_TOOLS,
        connection_id: expect.any(String),
        provider: 'GOOGLECALENDAR',
      },
    ]);

    const path = `/api/v1/mcp/configs/${config.id}`;
    const updated = await api('PUT', path, { connection_tool_mappings: [{ connection_name: 'gmail', tools: [] }] });
    expect(updated.body.config.connection_tool_mappings).toMatchObject([{ connection_name: 'gmail', tools: [] }]);
    expect((await api('PUT', path, { name: 'renamed' })).status).toBe(400);

    expect(await api('DELETE', path)).toEqual({ status: 200, body: {} });
    expect((await api('GET', path)).status).toBe(404);
  });

  it('lists the connected accounts of a config, creating them with auth links on request', async () => {
    emu.seedUser('carol', { connections: { gmail: 'ACTIVE' } });
    const config = await createConfig();
    const path = `/api/v1/mcp/configs/${config.id}/connected_accounts`;

    const readOnly = await api('POST', path, { identifier: 'carol' });
    expect(readOnly.body.connected_accounts).toMatchObject([
      {
        connection_name: 'gmail',
        connected_account_status: 'ACTIVE',
        connected_account_id: expect.stringMatching(/^ca_/),
      },
      {
        connection_name: 'googlecalendar',
        connected_account_status: '',
        connected_account_id: '',
        authentication_link: '',
      },
    ]);

    const withLinks = await api('POST', path, { identifier: 'carol', include_auth_link: true });
    const [gmail, gcal] = withLinks.body.connected_accounts;
    expect(gmail).toMatchObject({ connected_account_status: 'ACTIVE', authentication_link: '' });
    expect(gcal).toMatchObject({ connected_account_status: 'PENDING_AUTH', provider: 'GOOGLECALENDAR' });
    expect(gcal.authentication_link).toBe(emu.authLinks('carol').at(-1)!.url);
  });

  it('mints session tokens only within bounds and for ACTIVE accounts', async () => {
    emu.seedUser('dave', { connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' } });
    const config = await createConfig();

    const minted = await mintToken(config.id, 'dave');
    expect(minted.status).toBe(200);
    expect(Date.parse(minted.body.expires_at)).toBe(Math.floor(clock / 1000) * 1000 + 3600_000);
    expect((await mintToken(config.id, 'dave', '59s')).status).toBe(400);
    expect((await mintToken(config.id, 'dave', '86401s')).status).toBe(400);
    expect((await mintToken('cfg_unknown', 'dave')).status).toBe(404);

    emu.setConnectionStatus('dave', 'googlecalendar', 'EXPIRED');
    const refused = await mintToken(config.id, 'dave');
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 9, details: [{ error_code: 'CONNECTED_ACCOUNT_NOT_ACTIVE' }] });
    expect(refused.body.message).toContain('googlecalendar (EXPIRED)');
  });

  it('applies injected faults and counts every call', async () => {
    emu.seedUser('dave', { connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' } });
    const config = await createConfig();
    emu.control.inject({ route: 'POST /api/v1/mcp/configs/:config_id/tokens', status: 503, times: 1 });
    const first = await mintToken(config.id, 'dave');
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ code: 14 });
    expect((await mintToken(config.id, 'dave')).status).toBe(200);
    expect(emu.control.calls('POST /api/v1/mcp/configs/:config_id/tokens')).toBe(2);
  });
});

describe('the Virtual MCP server', () => {
  let config: { id: string; mcp_server_url: string };
  let token: string;

  beforeEach(async () => {
    emu.seedUser('erin', {
      connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' },
      emails: [
        {
          from: 'boss@example.com',
          subject: 'Old news',
          body: 'read already',
          unread: false,
          receivedAt: '2026-01-05T08:00:00Z',
        },
        {
          from: 'ops@example.com',
          subject: 'Disk alert',
          body: 'Disk is 91% full',
          receivedAt: '2026-01-05T07:00:00Z',
        },
        {
          from: 'boss@example.com',
          subject: 'Quarterly review',
          body: 'Can we meet Friday?',
          receivedAt: '2026-01-05T07:30:00Z',
        },
      ],
    });
    config = await createConfig('demo', [
      { connection_name: 'gmail', tools: GMAIL_TOOLS },
      { connection_name: 'googlecalendar', tools: ['googlecalendar_create_event', 'googlecalendar_list_events'] },
    ]);
    token = (await mintToken(config.id, 'erin')).body.token;
  });

  it('lists exactly the mapped tools with their input schemas', async () => {
    const client = await mcpClient(config.mcp_server_url, token);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'gmail_fetch_mails',
      'googlecalendar_create_event',
      'googlecalendar_list_events',
    ]);
    const create = tools.find((t) => t.name === 'googlecalendar_create_event')!;
    expect(create.inputSchema.required).toEqual(['summary', 'start_datetime']);
    await client.close();
  });

  it('fetches the newest unread mail and creates calendar events for the user in the token', async () => {
    const client = await mcpClient(config.mcp_server_url, token);
    const mail = toolJson(
      await client.callTool({ name: 'gmail_fetch_mails', arguments: { query: 'is:unread', max_results: 1 } }),
    );
    expect(mail.messages).toHaveLength(1);
    const [message] = mail.messages;
    expect(message.payload.headers).toContainEqual({ name: 'Subject', value: 'Quarterly review' });
    expect(message).toMatchObject({
      labelIds: ['UNREAD', 'INBOX'],
      payload: { body: { data: 'Can we meet Friday?' } },
    });
    const fromOps = toolJson(
      await client.callTool({ name: 'gmail_fetch_mails', arguments: { query: 'from:ops subject:disk' } }),
    );
    expect(fromOps.messages.map((m: { snippet: string }) => m.snippet)).toEqual(['Disk is 91% full']);

    const event = toolJson(
      await client.callTool({
        name: 'googlecalendar_create_event',
        arguments: {
          summary: 'Action Required: Quarterly review',
          description: 'Boss wants to meet Friday.',
          start_datetime: '2026-01-09T10:00:00',
          timezone: 'Europe/Paris',
          event_duration_hour: 1,
        },
      }),
    );
    expect(event).toMatchObject({
      summary: 'Action Required: Quarterly review',
      status: 'confirmed',
      start: { dateTime: '2026-01-09T09:00:00Z' },
      end: { dateTime: '2026-01-09T10:00:00Z' },
      htmlLink: expect.stringContaining('eid='),
    });
    expect(emu.calendarEvents('erin')).toMatchObject([{ id: event.id, calendarId: 'primary', summary: event.summary }]);
    const listed = toolJson(await client.callTool({ name: 'googlecalendar_list_events', arguments: {} }));
    expect(listed.items.map((e: { id: string }) => e.id)).toEqual([event.id]);
    await client.close();
  });

  it('serves every tool of a connection mapped with an empty tool list', async () => {
    const all = await createConfig('all-calendar', [{ connection_name: 'googlecalendar', tools: [] }]);
    const client = await mcpClient(all.mcp_server_url, (await mintToken(all.id, 'erin')).body.token);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(GCAL_TOOLS.slice().sort());
    await client.close();
  });

  it('fails tool calls once the connection is no longer ACTIVE', async () => {
    const client = await mcpClient(config.mcp_server_url, token);
    emu.setConnectionStatus('erin', 'gmail', 'EXPIRED');
    const result = await client.callTool({ name: 'gmail_fetch_mails', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('EXPIRED');
    await client.close();
  });

  it('answers 401 without a bearer, for another config, and after expiry', async () => {
    const raw = await fetch(config.mcp_server_url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toMatch(/^Bearer /);
    await expect(mcpClient(config.mcp_server_url)).rejects.toMatchObject({ code: 401 });

    const other = await createConfig('other', [{ connection_name: 'gmail', tools: [] }]);
    await expect(mcpClient(other.mcp_server_url, token)).rejects.toMatchObject({ code: 401 });

    const short = (await mintToken(config.id, 'erin', '60s')).body.token;
    clock += 61_000;
    await expect(mcpClient(config.mcp_server_url, short)).rejects.toMatchObject({ code: 401 });
    await expect(mcpClient(config.mcp_server_url, `${token}x`)).rejects.toMatchObject({ code: 401 });
    expect(emu.control.calls('POST /mcp/v3/servers/:server_id')).toBe(5);
  });
});

describe('the HTTP control plane', () => {
  it('seeds users, flips connection status and reads mailboxes and calendars', async () => {
    const post = await fetch(`${emu.url}/_emulator/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        identifier: 'frank',
        connections: { gmail: 'ACTIVE' },
        emails: [
          { from: 'a@example.com', subject: 'hi', body: 'hello' },
          { from: 'n@example.com', subject: 'news', body: 'sale', headers: { 'List-Unsubscribe': '<mailto:u@x>' } },
        ],
      }),
    });
    expect(post.status).toBe(204);
    // A field the control plane does not know is refused, not dropped.
    const unknown = await fetch(`${emu.url}/_emulator/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: 'frank', emails: [{ from: 'a', subject: 's', body: 'b', cc: 'x' }] }),
    });
    expect(unknown.status).toBe(400);
    const put = await fetch(`${emu.url}/_emulator/users/frank/connections/gmail`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'DISCONNECTED' }),
    });
    expect(put.status).toBe(204);
    const emails = await (await fetch(`${emu.url}/_emulator/users/frank/emails`)).json();
    expect(emails).toMatchObject([
      { subject: 'hi', unread: true, headers: {} },
      { subject: 'news', headers: { 'List-Unsubscribe': '<mailto:u@x>' } },
    ]);
    expect(await (await fetch(`${emu.url}/_emulator/users/frank/calendar`)).json()).toEqual([]);
    const config = await createConfig('frank-cfg', [{ connection_name: 'gmail', tools: [] }]);
    expect((await mintToken(config.id, 'frank')).body.message).toContain('gmail (DISCONNECTED)');
  });
});
