import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectMcp } from '@inbox-agent/emulators/managed-agents/mcp-client';
import { z } from 'zod';
import {
  offeredMcpTools,
  refusal,
  resolveTools,
  type McpToolset,
} from '@inbox-agent/emulators/managed-agents/agent-config';
import { startManagedAgentsEmulator, type ManagedAgentsEmulator } from '@inbox-agent/emulators/managed-agents';
import { startScalekitEmulator, type ScalekitEmulator } from '@inbox-agent/emulators/scalekit';

interface Email {
  from: string;
  subject: string;
  body: string;
}

/** A stand-in for Scalekit's Virtual MCP server: Gmail + Calendar tools behind a bearer token. */
async function startFakeMcp(token: string, emails: Email[]) {
  const calendar: Array<Record<string, unknown>> = [];
  const server: Server = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return;
    }
    const mcp = new McpServer({ name: 'fake-virtual-mcp', version: '1.0.0' });
    mcp.registerTool(
      'gmail_fetch_mails',
      { inputSchema: { query: z.string().optional(), max_results: z.number().optional() } },
      async ({ max_results }) => {
        const messages = emails.slice(0, max_results ?? 10).map((e, i) => ({
          id: `msg_${i}`,
          snippet: e.body.slice(0, 40),
          payload: {
            headers: [
              { name: 'From', value: e.from },
              { name: 'Subject', value: e.subject },
            ],
            body: { data: Buffer.from(e.body).toString('base64url') },
          },
        }));
        return { content: [{ type: 'text', text: JSON.stringify({ messages }) }] };
      },
    );
    mcp.registerTool(
      'googlecalendar_create_event',
      {
        inputSchema: {
          summary: z.string(),
          description: z.string().optional(),
          start_datetime: z.string(),
          event_duration_minutes: z.number().optional(),
        },
      },
      async (args) => {
        calendar.push(args);
        return {
          content: [{ type: 'text', text: JSON.stringify({ id: `evt_${calendar.length}`, status: 'confirmed' }) }],
        };
      },
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close());
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp/v3/servers/fake`,
    calendar,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const EMAIL: Email = {
  from: 'Ada Lovelace <ada@example.com>',
  subject: 'Quarterly budget review',
  body: 'Please review the attached budget before Friday. The finance team needs your sign-off on the hiring plan. Thanks!',
};

let emu: ManagedAgentsEmulator;
let client: Anthropic;

beforeAll(async () => {
  emu = await startManagedAgentsEmulator({ heartbeatMs: 50 });
  client = new Anthropic({ baseURL: emu.url, apiKey: emu.apiKey, maxRetries: 0 });
});
afterEach(() => emu.reset());
afterAll(() => emu.close());

async function makeEnvironment() {
  return client.beta.environments.create({ name: 'test-env' });
}

async function makeMcpAgent(url: string, policy: 'always_allow' | 'always_ask' = 'always_allow') {
  return client.beta.agents.create({
    name: 'Email Meeting Manager',
    model: 'claude-haiku-4-5-20251001',
    system: 'Summarize the newest unread email and create an Action Required calendar event.',
    mcp_servers: [{ type: 'url', name: 'email-calendar-mcp', url }],
    tools: [
      { type: 'agent_toolset_20260401', default_config: { enabled: true } },
      {
        type: 'mcp_toolset',
        mcp_server_name: 'email-calendar-mcp',
        default_config: { enabled: true, permission_policy: { type: policy } },
      },
    ],
  });
}

async function makeVault(url: string, token: string) {
  const vault = await client.beta.vaults.create({ display_name: 'email-calendar-vault' });
  const credential = await client.beta.vaults.credentials.create(vault.id, {
    display_name: 'email-calendar-credential',
    auth: { type: 'static_bearer', mcp_server_url: url, token },
  });
  return { vault, credential };
}

type StreamEvent = { type: string; id?: string; [k: string]: unknown };

/** Opens the stream first (it has no replay), sends the prompt, collects events until the session is idle. */
async function runPrompt(sessionId: string, prompt = 'Process my inbox') {
  const stream = await client.beta.sessions.events.stream(sessionId);
  await client.beta.sessions.events.send(sessionId, {
    events: [{ type: 'user.message', content: [{ type: 'text', text: prompt }] }],
  });
  const seen: StreamEvent[] = [];
  for await (const event of stream as AsyncIterable<StreamEvent>) {
    seen.push(event);
    if (event.type === 'session.status_idle') break;
  }
  return seen;
}

describe('agents', () => {
  it('creates, versions, lists and archives agents', async () => {
    const agent = await client.beta.agents.create({ name: 'A', model: 'claude-sonnet-4-6', metadata: { team: 'x' } });
    expect(agent).toMatchObject({
      type: 'agent',
      name: 'A',
      version: 1,
      model: { id: 'claude-sonnet-4-6', speed: 'standard' },
      description: null,
      system: null,
      tools: [],
      mcp_servers: [],
      skills: [],
      multiagent: null,
      execution_identity: { type: 'service_account' },
      archived_at: null,
    });
    expect(agent.id).toMatch(/^agent_/);

    const updated = await client.beta.agents.update(agent.id, {
      version: 1,
      system: 'Be brief.',
      metadata: { env: 'test' },
    });
    expect(updated.version).toBe(2);
    expect(updated.metadata).toEqual({ team: 'x', env: 'test' });
    const unchanged = await client.beta.agents.update(agent.id, { system: 'Be brief.' });
    expect(unchanged.version).toBe(2);

    await expect(client.beta.agents.update(agent.id, { version: 1, name: 'B' })).rejects.toBeInstanceOf(
      Anthropic.ConflictError,
    );
    expect((await client.beta.agents.retrieve(agent.id, { version: 1 })).system).toBeNull();
    expect((await client.beta.agents.retrieve(agent.id)).system).toBe('Be brief.');

    const versions = [];
    for await (const v of client.beta.agents.versions.list(agent.id)) versions.push(v.version);
    expect(versions).toEqual([2, 1]);

    await client.beta.agents.create({ name: 'Other', model: 'claude-haiku-4-5' });
    const archived = await client.beta.agents.archive(agent.id);
    expect(archived.archived_at).toEqual(expect.any(String));
    const active = (await client.beta.agents.list()).data.map((a) => a.name);
    expect(active).toEqual(['Other']);
    const all = (await client.beta.agents.list({ include_archived: true })).data.map((a) => a.name);
    expect(all).toEqual(['Other', 'A']);
    expect(emu.agents()).toEqual(expect.arrayContaining([{ id: agent.id, name: 'A', version: 2, archived: true }]));
  });

  it('pages through agents with next_page', async () => {
    for (let i = 0; i < 5; i++) await client.beta.agents.create({ name: `agent-${i}`, model: 'claude-haiku-4-5' });
    const first = await client.beta.agents.list({ limit: 2 });
    expect(first.data.map((a) => a.name)).toEqual(['agent-4', 'agent-3']);
    expect(first.next_page).toEqual(expect.any(String));
    const names = [];
    for await (const a of client.beta.agents.list({ limit: 2 })) names.push(a.name);
    expect(names).toEqual(['agent-4', 'agent-3', 'agent-2', 'agent-1', 'agent-0']);
  });

  it('rejects MCP servers that no mcp_toolset references, and duplicate names', async () => {
    const base = { name: 'bad', model: 'claude-haiku-4-5' };
    await expect(
      client.beta.agents.create({ ...base, mcp_servers: [{ type: 'url', name: 'm', url: 'http://x.test/mcp' }] }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(
      client.beta.agents.create({
        ...base,
        mcp_servers: [
          { type: 'url', name: 'm', url: 'http://x.test/a' },
          { type: 'url', name: 'm', url: 'http://x.test/b' },
        ],
        tools: [{ type: 'mcp_toolset', mcp_server_name: 'm' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(client.beta.agents.create({ model: 'claude-haiku-4-5' } as never)).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
  });

  it('resolves toolset defaults: MCP tools ask, agent tools allow', async () => {
    const agent = await makeMcpAgent('http://x.test/mcp');
    const bare = await client.beta.agents.update(agent.id, {
      tools: [{ type: 'mcp_toolset', mcp_server_name: 'email-calendar-mcp' }],
    });
    expect(bare.tools).toEqual([
      {
        type: 'mcp_toolset',
        mcp_server_name: 'email-calendar-mcp',
        default_config: { enabled: true, permission_policy: { type: 'always_ask' } },
        configs: [],
      },
    ]);
    expect(agent.tools[0]).toMatchObject({ default_config: { permission_policy: { type: 'always_allow' } } });
  });
});

describe('environments, vaults and credentials', () => {
  it('manages environments', async () => {
    const env = await makeEnvironment();
    expect(env).toMatchObject({
      type: 'environment',
      name: 'test-env',
      config: { type: 'cloud', networking: { type: 'unrestricted' } },
    });
    expect((await client.beta.environments.retrieve(env.id)).id).toBe(env.id);
    expect((await client.beta.environments.list()).data).toHaveLength(1);
    expect(await client.beta.environments.delete(env.id)).toEqual({ id: env.id, type: 'environment_deleted' });
    await expect(client.beta.environments.retrieve(env.id)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('never returns credential secrets and only lets the token change', async () => {
    const { vault, credential } = await makeVault('http://mcp.test/servers/1', 'secret-token-1');
    expect(vault).toMatchObject({ type: 'vault', display_name: 'email-calendar-vault', archived_at: null });
    expect(credential).toMatchObject({
      type: 'vault_credential',
      vault_id: vault.id,
      auth: { type: 'static_bearer', mcp_server_url: 'http://mcp.test/servers/1' },
    });
    expect(JSON.stringify(credential)).not.toContain('secret-token-1');

    const rotated = await client.beta.vaults.credentials.update(credential.id, {
      vault_id: vault.id,
      auth: { type: 'static_bearer', token: 'secret-token-2' },
    });
    expect(JSON.stringify(rotated)).not.toContain('secret-token');
    expect(emu.vaults()[0]!.credentials[0]).toMatchObject({ id: credential.id, token: 'secret-token-2' });

    await expect(
      client.beta.vaults.credentials.update(credential.id, {
        vault_id: vault.id,
        auth: { type: 'static_bearer', token: 't', mcp_server_url: 'http://elsewhere.test/' } as never,
      }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(
      client.beta.vaults.credentials.update(credential.id, {
        vault_id: vault.id,
        auth: { type: 'mcp_oauth', access_token: 'x' },
      }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(
      client.beta.vaults.credentials.create(vault.id, {
        auth: { type: 'static_bearer', mcp_server_url: 'http://mcp.test/servers/1', token: 'dup' },
      }),
    ).rejects.toBeInstanceOf(Anthropic.ConflictError);

    const fetched = await client.beta.vaults.credentials.retrieve(credential.id, { vault_id: vault.id });
    expect(fetched.auth).toEqual({ type: 'static_bearer', mcp_server_url: 'http://mcp.test/servers/1' });
    expect((await client.beta.vaults.list()).data.map((v) => v.id)).toEqual([vault.id]);
    expect((await client.beta.vaults.retrieve(vault.id)).display_name).toBe('email-calendar-vault');

    const state = (await (await fetch(`${emu.url}/_emulator/state`)).json()) as {
      vaults: Array<{ credentials: Array<{ token: string }> }>;
    };
    expect(state.vaults[0]!.credentials[0]!.token).toBe('***');
  });
});

describe('sessions', () => {
  it('creates, lists, updates and deletes sessions', async () => {
    const env = await makeEnvironment();
    const agent = await client.beta.agents.create({ name: 'A', model: 'claude-haiku-4-5' });
    const { vault } = await makeVault('http://mcp.test/x', 't');
    const session = await client.beta.sessions.create({
      agent: agent.id,
      environment_id: env.id,
      vault_ids: [vault.id],
    });
    expect(session).toMatchObject({
      type: 'session',
      status: 'idle',
      environment_id: env.id,
      vault_ids: [vault.id],
      agent: { id: agent.id, type: 'agent', version: 1, name: 'A' },
      usage: { input_tokens: 0, output_tokens: 0 },
      archived_at: null,
    });
    expect(session.id).toMatch(/^sesn_/);

    const pinned = await client.beta.sessions.create({
      agent: { type: 'agent', id: agent.id, version: 1 },
      environment_id: env.id,
      title: 'second',
    });
    const listed = await client.beta.sessions.list({ agent_id: agent.id, statuses: ['idle'], order: 'asc' });
    expect(listed.data.map((s) => s.id)).toEqual([session.id, pinned.id]);
    expect(listed.prev_page).toBeNull();
    const paged = await client.beta.sessions.list({ limit: 1 });
    expect(paged.data.map((s) => s.id)).toEqual([pinned.id]);
    const next = await client.beta.sessions.list({ limit: 1, page: paged.next_page! });
    expect(next.data.map((s) => s.id)).toEqual([session.id]);
    expect(next.prev_page).toEqual(expect.any(String));

    const renamed = await client.beta.sessions.update(session.id, { title: 'renamed', metadata: { k: 'v' } });
    expect(renamed).toMatchObject({ title: 'renamed', metadata: { k: 'v' } });
    await expect(client.beta.sessions.update(session.id, { vault_ids: [] })).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
    expect(await client.beta.sessions.delete(pinned.id)).toEqual({ id: pinned.id, type: 'session_deleted' });
    await expect(client.beta.sessions.retrieve(pinned.id)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('rejects unknown agents, environments and vaults', async () => {
    const env = await makeEnvironment();
    const agent = await client.beta.agents.create({ name: 'A', model: 'claude-haiku-4-5' });
    await expect(client.beta.sessions.create({ agent: 'agent_nope', environment_id: env.id })).rejects.toBeInstanceOf(
      Anthropic.NotFoundError,
    );
    await expect(client.beta.sessions.create({ agent: agent.id, environment_id: 'env_nope' })).rejects.toBeInstanceOf(
      Anthropic.NotFoundError,
    );
    await expect(
      client.beta.sessions.create({ agent: agent.id, environment_id: env.id, vault_ids: ['vlt_nope'] }),
    ).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });
});

describe('errors and faults', () => {
  it('requires the managed-agents beta header and answers in Anthropic error shape', async () => {
    const res = await fetch(`${emu.url}/v1/agents`, { headers: { 'x-api-key': emu.apiKey } });
    expect(res.status).toBe(400);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const body = (await res.json()) as { type: string; error: { type: string; message: string }; request_id: string };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('managed-agents-2026-04-01');
    expect(body.request_id).toBe(res.headers.get('request-id'));
  });

  it('rejects a wrong API key and unknown ids', async () => {
    const wrong = new Anthropic({ baseURL: emu.url, apiKey: 'sk-ant-wrong', maxRetries: 0 });
    await expect(wrong.beta.agents.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const err = await client.beta.agents.retrieve('agent_missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).requestID).toMatch(/^req_/);
    await expect(client.beta.sessions.events.list('sesn_missing')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it('injects a 503 once, then succeeds', async () => {
    emu.control.inject({ route: 'POST /v1/agents', status: 503, times: 1 });
    const err = await client.beta.agents.create({ name: 'A', model: 'claude-haiku-4-5' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error' },
    });
    await expect(client.beta.agents.create({ name: 'A', model: 'claude-haiku-4-5' })).resolves.toMatchObject({
      name: 'A',
    });
    expect(emu.control.calls('POST /v1/agents')).toBe(2);
  });
});

describe('event streams', () => {
  it('streams a plain turn in order and keeps usage', async () => {
    const env = await makeEnvironment();
    const agent = await client.beta.agents.create({ name: 'Plain', model: 'claude-haiku-4-5' });
    const session = await client.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    const seen = await runPrompt(session.id, 'Hello there');
    expect(seen.map((e) => e.type)).toEqual([
      'user.message',
      'session.status_running',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
    ]);
    expect(seen[3]).toMatchObject({ content: [{ type: 'text', text: expect.stringContaining('Hello there') }] });
    expect(seen[4]).toMatchObject({ model_request_start_id: seen[2]!.id, is_error: false });
    expect(seen[5]).toMatchObject({ stop_reason: { type: 'end_turn' }, stop_details: null });
    for (const event of seen) expect(event.id).toMatch(/^sevt_/);

    const after = await client.beta.sessions.retrieve(session.id);
    expect(after.status).toBe('idle');
    expect(after.usage.output_tokens).toBeGreaterThan(0);

    const listed = await client.beta.sessions.events.list(session.id, {
      types: ['agent.message', 'session.status_idle'],
    });
    expect(listed.data.map((e) => e.type)).toEqual(['agent.message', 'session.status_idle']);
    const newest = await client.beta.sessions.events.list(session.id, { order: 'desc', limit: 2 });
    expect(newest.data.map((e) => e.type)).toEqual(['session.status_idle', 'span.model_request_end']);
    const since = await client.beta.sessions.events.list(session.id, {
      'created_at[gt]': seen[2]!.processed_at as string,
    });
    expect(since.data.map((e) => e.id)).toEqual(seen.slice(3).map((e) => e.id));
  });

  it('sends ping heartbeats the SDK skips and previews agent messages on request', async () => {
    const env = await makeEnvironment();
    const agent = await client.beta.agents.create({ name: 'Plain', model: 'claude-haiku-4-5' });
    const session = await client.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    const res = await fetch(`${emu.url}/v1/sessions/${session.id}/events/stream`, {
      headers: { authorization: `Bearer ${emu.apiKey}`, 'anthropic-beta': 'managed-agents-2026-04-01' },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    await reader.cancel();

    const stream = await client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] });
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }],
    });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'session.status_idle') break;
    }
    expect(types).toContain('event_start');
    expect(types.indexOf('event_delta')).toBeLessThan(types.indexOf('agent.message'));
    expect(types).not.toContain('ping');
  });

  it('drops the stream after cutAfterEvents frames; the history stays complete', async () => {
    const env = await makeEnvironment();
    const agent = await client.beta.agents.create({ name: 'Plain', model: 'claude-haiku-4-5' });
    const session = await client.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    emu.control.inject({ route: 'GET /v1/sessions/:session_id/events/stream', cutAfterEvents: 2, times: 1 });
    const stream = await client.beta.sessions.events.stream(session.id);
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }],
    });
    const seen: string[] = [];
    const consume = async () => {
      for await (const event of stream) seen.push(event.type);
    };
    await expect(consume()).rejects.toThrow('terminated');
    expect(seen).toEqual(['user.message', 'session.status_running']);
    await emu.waitForIdle(session.id);
    const history = await client.beta.sessions.events.list(session.id);
    expect(history.data.map((e) => e.type)).toEqual([
      'user.message',
      'session.status_running',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
    ]);
    expect(emu.control.calls('GET /v1/sessions/:session_id/events/stream')).toBe(1);
  });
});

describe('the emulated agent against an MCP server', () => {
  let mcp: Awaited<ReturnType<typeof startFakeMcp>>;
  beforeAll(async () => {
    mcp = await startFakeMcp('good-token', [EMAIL]);
  });
  afterEach(() => {
    mcp.calendar.length = 0;
  });
  afterAll(() => mcp.close());

  /** An MCP auth failure ends the turn before any model request or tool event. */
  const AUTH_FAILURE_ORDER = ['user.message', 'session.status_running', 'session.error', 'session.status_idle'];

  async function sessionWith(token: string | undefined, policy: 'always_allow' | 'always_ask' = 'always_allow') {
    const env = await makeEnvironment();
    const agent = await makeMcpAgent(mcp.url, policy);
    const vaultIds = [];
    if (token !== undefined) vaultIds.push((await makeVault(mcp.url, token)).vault.id);
    else vaultIds.push((await makeVault('http://unrelated.test/mcp', 'x')).vault.id);
    return client.beta.sessions.create({ agent: agent.id, environment_id: env.id, vault_ids: vaultIds });
  }

  it('reads the newest unread email and books one Action Required event', async () => {
    const session = await sessionWith('good-token');
    const seen = await runPrompt(session.id);
    expect(seen.map((e) => e.type)).toEqual([
      'user.message',
      'session.status_running',
      'span.model_request_start',
      'agent.mcp_tool_use',
      'agent.mcp_tool_result',
      'agent.mcp_tool_use',
      'agent.mcp_tool_result',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
    ]);
    expect(seen[3]).toMatchObject({
      mcp_server_name: 'email-calendar-mcp',
      name: 'gmail_fetch_mails',
      input: { query: 'is:unread', max_results: 1 },
      evaluated_permission: 'allow',
    });
    expect(seen[4]).toMatchObject({ mcp_tool_use_id: seen[3]!.id, is_error: false });
    expect(seen[5]).toMatchObject({ name: 'googlecalendar_create_event' });
    expect(seen[6]).toMatchObject({ mcp_tool_use_id: seen[5]!.id, is_error: false });

    expect(mcp.calendar).toHaveLength(1);
    const event = mcp.calendar[0]!;
    expect(event.summary).toBe('Action Required: Quarterly budget review');
    expect(event.description).toContain('Ada Lovelace');
    expect(event.description).toContain('review the attached budget before Friday');
    expect(event.event_duration_minutes).toBe(30);
    expect(Date.parse(String(event.start_datetime))).toBeGreaterThan(Date.now());

    expect(seen[7]).toMatchObject({
      content: [{ type: 'text', text: expect.stringContaining('Action Required: Quarterly budget review') }],
    });
    const usage = seen[8]!.model_usage as { input_tokens: number; output_tokens: number };
    expect(usage.input_tokens).toBeGreaterThan(0);
    const after = await client.beta.sessions.retrieve(session.id);
    expect(after.usage).toMatchObject({ input_tokens: usage.input_tokens, output_tokens: usage.output_tokens });
    expect(emu.sessions().find((s) => s.id === session.id)?.events).toHaveLength(10);
  });

  it('never offers or calls a tool the agent does not enable, as the service filters them', async () => {
    const env = await makeEnvironment();
    const agent = await client.beta.agents.create({
      name: 'Read-only inbox reader',
      model: 'claude-haiku-4-5-20251001',
      mcp_servers: [{ type: 'url', name: 'email-calendar-mcp', url: mcp.url }],
      tools: [
        {
          type: 'mcp_toolset',
          mcp_server_name: 'email-calendar-mcp',
          default_config: { enabled: false },
          configs: [{ name: 'gmail_fetch_mails', enabled: true, permission_policy: { type: 'always_allow' } }],
        },
      ],
    });
    const { vault } = await makeVault(mcp.url, 'good-token');
    const session = await client.beta.sessions.create({
      agent: agent.id,
      environment_id: env.id,
      vault_ids: [vault.id],
    });
    const seen = await runPrompt(session.id, 'Process my inbox, and create the calendar event');
    expect(seen.filter((e) => e.type === 'agent.mcp_tool_use').map((e) => e.name)).toEqual(['gmail_fetch_mails']);
    // The MCP server offers googlecalendar_create_event, but the agent does not enable it.
    expect(mcp.calendar).toHaveLength(0);
    expect(seen.find((e) => e.type === 'agent.message')).toMatchObject({
      content: [{ type: 'text', text: expect.stringMatching(/no calendar tool/) }],
    });
  });

  it('fails with mcp_authentication_failed_error when no credential matches the server URL', async () => {
    const session = await sessionWith(undefined);
    const seen = await runPrompt(session.id);
    expect(seen.map((e) => e.type)).toEqual(AUTH_FAILURE_ORDER);
    expect(seen[2]).toMatchObject({
      error: {
        type: 'mcp_authentication_failed_error',
        mcp_server_name: 'email-calendar-mcp',
        retry_status: { type: 'exhausted' },
      },
    });
    expect(seen[3]).toMatchObject({ stop_reason: { type: 'retries_exhausted' } });
    expect(mcp.calendar).toHaveLength(0);
  });

  it('fails with mcp_authentication_failed_error when the MCP server answers 401', async () => {
    const session = await sessionWith('expired-token');
    const seen = await runPrompt(session.id);
    expect(seen.map((e) => e.type)).toEqual(AUTH_FAILURE_ORDER);
    expect(seen[2]).toMatchObject({ error: { type: 'mcp_authentication_failed_error' } });
    expect(mcp.calendar).toHaveLength(0);
  });

  it('uses a token rotated into the vault on the next turn', async () => {
    const env = await makeEnvironment();
    const agent = await makeMcpAgent(mcp.url);
    const { vault, credential } = await makeVault(mcp.url, 'stale-token');
    const session = await client.beta.sessions.create({
      agent: agent.id,
      environment_id: env.id,
      vault_ids: [vault.id],
    });
    expect((await runPrompt(session.id)).map((e) => e.type)).toContain('session.error');
    await client.beta.vaults.credentials.update(credential.id, {
      vault_id: vault.id,
      auth: { type: 'static_bearer', token: 'good-token' },
    });
    expect((await runPrompt(session.id)).map((e) => e.type)).not.toContain('session.error');
    expect(mcp.calendar).toHaveLength(1);
  });

  it('parks always_ask tool calls on requires_action until confirmed', async () => {
    const session = await sessionWith('good-token', 'always_ask');
    const stream = await client.beta.sessions.events.stream(session.id);
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }],
    });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'agent.mcp_tool_use') expect(event.evaluated_permission).toBe('ask');
      if (event.type === 'session.status_idle' && event.stop_reason.type === 'requires_action') {
        const [toolUseId] = event.stop_reason.event_ids;
        await client.beta.sessions.events.send(session.id, {
          events: [{ type: 'user.tool_confirmation', tool_use_id: toolUseId!, result: 'allow' }],
        });
      } else if (event.type === 'session.status_idle') break;
    }
    expect(types.filter((t) => t === 'session.status_idle')).toHaveLength(3);
    expect(mcp.calendar).toHaveLength(1);
    await expect(
      client.beta.sessions.events.send(session.id, {
        events: [{ type: 'user.tool_confirmation', tool_use_id: 'sevt_nope', result: 'allow' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('stops on user.interrupt before touching the calendar', async () => {
    emu.setStepDelay(100);
    const session = await sessionWith('good-token');
    const stream = await client.beta.sessions.events.stream(session.id);
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }],
    });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'agent.mcp_tool_use') {
        await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
      }
      if (event.type === 'session.status_idle') {
        expect(event.stop_reason).toEqual({ type: 'end_turn' });
        break;
      }
    }
    expect(types).toContain('user.interrupt');
    expect(types).not.toContain('agent.message');
    expect(mcp.calendar).toHaveLength(0);
  });

  it('keeps running while no client listens, like a worker that died mid-session', async () => {
    emu.setStepDelay(20);
    const session = await sessionWith('good-token');
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }],
    });
    expect((await client.beta.sessions.retrieve(session.id)).status).toBe('running');
    await emu.waitForIdle(session.id);
    const history = await client.beta.sessions.events.list(session.id);
    expect(history.data.at(-1)?.type).toBe('session.status_idle');
    expect(mcp.calendar).toHaveLength(1);
  });

  it('refuses to archive a running session and any event to an archived one, with 409 invalid_request_error', async () => {
    emu.setStepDelay(50);
    const session = await sessionWith('good-token');
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }],
    });
    const refused = await client.beta.sessions.archive(session.id).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(Anthropic.ConflictError);
    expect((refused as InstanceType<typeof Anthropic.ConflictError>).error).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringMatching(/running: interrupt it/) },
    });
    await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
    await emu.waitForIdle(session.id);
    expect((await client.beta.sessions.archive(session.id)).archived_at).toEqual(expect.any(String));
    const sent = await client.beta.sessions.events
      .send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'again' }] }] })
      .catch((err: unknown) => err);
    expect(sent).toBeInstanceOf(Anthropic.ConflictError);
    expect((sent as InstanceType<typeof Anthropic.ConflictError>).error).toMatchObject({
      error: { type: 'invalid_request_error' },
    });
  });

  it('reports an empty inbox without creating an event', async () => {
    const empty = await startFakeMcp('good-token', []);
    try {
      const env = await makeEnvironment();
      const agent = await makeMcpAgent(empty.url);
      const { vault } = await makeVault(empty.url, 'good-token');
      const session = await client.beta.sessions.create({
        agent: agent.id,
        environment_id: env.id,
        vault_ids: [vault.id],
      });
      const seen = await runPrompt(session.id);
      expect(seen.filter((e) => e.type === 'agent.mcp_tool_use')).toHaveLength(1);
      expect(seen.find((e) => e.type === 'agent.message')).toMatchObject({
        content: [{ text: expect.stringMatching(/no unread email/i) }],
      });
      expect(empty.calendar).toHaveLength(0);
    } finally {
      await empty.close();
    }
  });
});

describe('with the Scalekit emulator as the MCP server', () => {
  let scalekit: ScalekitEmulator;
  beforeAll(async () => {
    scalekit = await startScalekitEmulator();
  });
  afterAll(() => scalekit.close());

  async function scalekitApi(path: string, body: object, token: string): Promise<Record<string, any>> {
    const res = await fetch(`${scalekit.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.ok).toBe(true);
    return (await res.json()) as Record<string, any>;
  }

  it('follows the guide: Virtual MCP config, session token in a vault, one event for the newest unread email', async () => {
    const now = Date.now();
    scalekit.seedUser('user-1', {
      connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' },
      emails: [
        {
          from: 'Old Sender <old@example.com>',
          subject: 'Old news',
          body: 'Ignore this one.',
          receivedAt: new Date(now - 3_600_000),
        },
        {
          from: 'Grace Hopper <grace@example.com>',
          subject: 'Compiler demo',
          body: 'Can you join the compiler demo on Tuesday? Please bring the benchmark results. See you there.',
          receivedAt: new Date(now - 60_000),
        },
        {
          from: 'Read <read@example.com>',
          subject: 'Already read',
          body: 'Seen.',
          unread: false,
          receivedAt: new Date(now),
        },
      ],
    });
    const oauth = await fetch(`${scalekit.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: scalekit.clientId,
        client_secret: scalekit.clientSecret,
      }),
    });
    const apiToken = ((await oauth.json()) as { access_token: string }).access_token;
    const { config } = await scalekitApi(
      '/api/v1/mcp/configs',
      {
        name: 'email-calendar-demo',
        connection_tool_mappings: [
          { connection_name: 'gmail', tools: ['gmail_fetch_mails'] },
          { connection_name: 'googlecalendar', tools: ['googlecalendar_create_event'] },
        ],
      },
      apiToken,
    );
    const { token } = await scalekitApi(`/api/v1/mcp/configs/${config.id}/tokens`, { identifier: 'user-1' }, apiToken);

    const env = await makeEnvironment();
    const agent = await makeMcpAgent(config.mcp_server_url);
    const { vault } = await makeVault(config.mcp_server_url, token);
    const session = await client.beta.sessions.create({
      agent: agent.id,
      environment_id: env.id,
      vault_ids: [vault.id],
    });
    const seen = await runPrompt(session.id);
    expect(seen.filter((e) => e.type === 'agent.mcp_tool_result').map((e) => e.is_error)).toEqual([false, false]);

    const events = scalekit.calendarEvents('user-1');
    expect(events).toHaveLength(1);
    expect(events[0]!.summary).toBe('Action Required: Compiler demo');
    expect(events[0]!.description).toContain('Grace Hopper');
    expect(events[0]!.description).toContain('compiler demo on Tuesday');
  });
});

describe('control plane over HTTP', () => {
  it('sets the step delay and resets state', async () => {
    const put = await fetch(`${emu.url}/_emulator/step-delay`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ms: 5 }),
    });
    expect(put.status).toBe(204);
    await client.beta.agents.create({ name: 'A', model: 'claude-haiku-4-5' });
    expect((await fetch(`${emu.url}/_emulator/counters`).then((r) => r.json())) as object).toMatchObject({
      'POST /v1/agents': 1,
    });
    expect((await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' })).status).toBe(204);
    expect(emu.agents()).toEqual([]);
  });
});

describe('tool refusal', () => {
  it('offers only enabled MCP tools and refuses a call to any other without reaching the server', () => {
    const toolset = resolveTools([
      {
        type: 'mcp_toolset',
        mcp_server_name: 'm',
        default_config: { enabled: false },
        configs: [{ name: 'gmail_fetch_mails', enabled: true }],
      },
    ])[0] as McpToolset;
    const offered = offeredMcpTools(toolset, ['gmail_fetch_mails', 'googlecalendar_update_event']);
    expect(offered).toEqual(['gmail_fetch_mails']);
    expect(refusal(toolset, offered, 'gmail_fetch_mails')).toBeUndefined();
    expect(refusal(toolset, offered, 'googlecalendar_update_event')).toMatch(/not available/);
    expect(refusal(toolset, offered, 'bash')).toMatch(/not available/);
  });
});

describe("the emulated platform's MCP client", () => {
  it("adds no listener per call to the turn's abort signal (a long turn warned MaxListenersExceededWarning)", async () => {
    const mcp = await startFakeMcp('tok', [EMAIL]);
    const turn = new AbortController();
    const connection = await connectMcp(mcp.url, 'tok', turn.signal);
    try {
      for (let i = 0; i < 12; i++) expect((await connection.call('gmail_fetch_mails', {})).isError).toBe(false);
      expect(getEventListeners(turn.signal, 'abort')).toHaveLength(0);
    } finally {
      await connection.close();
      await mcp.close();
    }
  });
});
