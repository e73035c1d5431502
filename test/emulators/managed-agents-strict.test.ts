import Anthropic, { APIError, ConflictError, RateLimitError } from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startManagedAgentsEmulator, type ManagedAgentsEmulator } from '@inbox-agent/emulators/managed-agents';

/**
 * The failure modes and timings the real service has, driven through the real SDK: session errors
 * by retry status, `processed_at` of a sent message, credential conflicts both ways, SSE error
 * frames, and per-key rate limits with `retry-after`.
 */

const STREAM = 'GET /v1/sessions/:session_id/events/stream';

let emu: ManagedAgentsEmulator;
let client: Anthropic;

beforeAll(async () => {
  emu = await startManagedAgentsEmulator({ heartbeatMs: 50 });
  client = new Anthropic({ baseURL: emu.url, apiKey: emu.apiKey, maxRetries: 0 });
});
afterEach(() => emu.reset());
afterAll(() => emu.close());

type StreamEvent = { type: string; id?: string; [k: string]: unknown };

/** A session whose agent has no tools: each turn is a plain reply. */
async function plainSession() {
  const environment = await client.beta.environments.create({ name: 'strict-env' });
  const agent = await client.beta.agents.create({ name: 'Plain', model: 'claude-haiku-4-5-20251001' });
  return client.beta.sessions.create({ agent: agent.id, environment_id: environment.id });
}

const message = (text = 'hello') => ({
  events: [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }],
});

/** Opens the stream, sends a message, collects events until idle or terminated. */
async function turn(sessionId: string): Promise<StreamEvent[]> {
  const stream = await client.beta.sessions.events.stream(sessionId);
  await client.beta.sessions.events.send(sessionId, message());
  const seen: StreamEvent[] = [];
  for await (const event of stream as AsyncIterable<StreamEvent>) {
    seen.push(event);
    if (event.type === 'session.status_idle' || event.type === 'session.status_terminated') break;
  }
  return seen;
}

describe('session.error by retry_status', () => {
  it('retrying: the service recovers by itself and the turn goes on to end_turn', async () => {
    const session = await plainSession();
    emu.injectSessionError({ sessionId: session.id, retryStatus: 'retrying' });
    const seen = await turn(session.id);
    expect(seen.map((e) => e.type)).toEqual([
      'user.message',
      'session.status_running',
      'session.error',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
    ]);
    expect(seen[2]).toMatchObject({ error: { type: 'model_overloaded_error', retry_status: { type: 'retrying' } } });
    expect(seen.at(-1)).toMatchObject({ stop_reason: { type: 'end_turn' } });
  });

  it('exhausted: the turn dies, idle with retries_exhausted; the next message starts a new turn', async () => {
    const session = await plainSession();
    emu.injectSessionError({ sessionId: session.id, retryStatus: 'exhausted' });
    const seen = await turn(session.id);
    expect(seen.map((e) => e.type)).toEqual([
      'user.message',
      'session.status_running',
      'session.error',
      'session.status_idle',
    ]);
    expect(seen[2]).toMatchObject({ error: { retry_status: { type: 'exhausted' } } });
    expect(seen[3]).toMatchObject({ stop_reason: { type: 'retries_exhausted' } });
    expect((await client.beta.sessions.retrieve(session.id)).status).toBe('idle');
    expect((await turn(session.id)).map((e) => e.type)).toContain('agent.message');
  });

  it('terminal: the session terminates and takes no more messages', async () => {
    const session = await plainSession();
    emu.injectSessionError({ sessionId: session.id, retryStatus: 'terminal', errorType: 'billing_error' });
    const seen = await turn(session.id);
    expect(seen.map((e) => e.type)).toEqual([
      'user.message',
      'session.status_running',
      'session.error',
      'session.status_terminated',
    ]);
    expect(seen[2]).toMatchObject({ error: { type: 'billing_error', retry_status: { type: 'terminal' } } });
    expect((await client.beta.sessions.retrieve(session.id)).status).toBe('terminated');
    await expect(client.beta.sessions.events.send(session.id, message())).rejects.toMatchObject({ status: 400 });
  });

  it('is injected per session over the control plane, and other sessions are untouched', async () => {
    const hit = await plainSession();
    const spared = await plainSession();
    const res = await fetch(`${emu.url}/_emulator/session-errors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: hit.id, retryStatus: 'exhausted' }),
    });
    expect(res.status).toBe(204);
    expect((await turn(spared.id)).map((e) => e.type)).not.toContain('session.error');
    expect((await turn(hit.id)).at(-1)).toMatchObject({ stop_reason: { type: 'retries_exhausted' } });
  });
});

describe('processed_at of a sent user.message', () => {
  it('is null on arrival and set once the agent has processed the message', async () => {
    const session = await plainSession();
    emu.setStepDelay(100);
    const sent = await client.beta.sessions.events.send(session.id, message());
    const echo = sent.data?.[0];
    expect(echo).toMatchObject({ type: 'user.message', processed_at: null });
    const [listed] = (await client.beta.sessions.events.list(session.id, { types: ['user.message'] })).data;
    expect(listed).toMatchObject({ id: echo!.id, processed_at: null });
    await emu.waitForIdle(session.id);
    const events = (await client.beta.sessions.events.list(session.id)).data;
    const processed = events.find((e) => e.id === echo!.id)!;
    const running = events.find((e) => e.type === 'session.status_running')!;
    expect(processed.processed_at).toEqual(expect.any(String));
    expect(Date.parse(processed.processed_at!)).toBeGreaterThanOrEqual(Date.parse(running.processed_at));
  });

  it('lists the message on arrival, or, switched, only once processed', async () => {
    const session = await plainSession();
    emu.setStepDelay(150);
    emu.configure({ userMessagesListed: 'when_processed' });
    await client.beta.sessions.events.send(session.id, message());
    const whileRunning = (await client.beta.sessions.events.list(session.id)).data.map((e) => e.type);
    expect(whileRunning).toContain('session.status_running');
    expect(whileRunning).not.toContain('user.message');
    await emu.waitForIdle(session.id);
    expect((await client.beta.sessions.events.list(session.id)).data.map((e) => e.type)).toContain('user.message');

    emu.configure({ userMessagesListed: 'on_arrival' });
    await client.beta.sessions.events.send(session.id, message('again'));
    const listed = (await client.beta.sessions.events.list(session.id, { types: ['user.message'] })).data;
    expect(listed).toHaveLength(2);
    await emu.waitForIdle(session.id);
  });
});

describe('a second active credential for one MCP server URL', () => {
  const url = 'https://mcp.example.test/servers/1';
  const create = (vaultId: string, token: string) =>
    client.beta.vaults.credentials.create(vaultId, { auth: { type: 'static_bearer', mcp_server_url: url, token } });

  it('answers 409 with the switch on (the default)', async () => {
    const vault = await client.beta.vaults.create({ display_name: 'v' });
    await create(vault.id, 'one');
    await expect(create(vault.id, 'two')).rejects.toBeInstanceOf(ConflictError);
  });

  it('is accepted with the switch off, over the control plane', async () => {
    const res = await fetch(`${emu.url}/_emulator/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ credentialUrlConflict: false }),
    });
    expect(res.status).toBe(204);
    const vault = await client.beta.vaults.create({ display_name: 'v' });
    await create(vault.id, 'one');
    await create(vault.id, 'two');
    const live = (await client.beta.vaults.credentials.list(vault.id)).data.filter((c) => !c.archived_at);
    expect(live).toHaveLength(2);
  });
});

describe('event: error frames on the stream', () => {
  it('the SDK raises them as an APIError carrying the error type, after the events before it', async () => {
    const session = await plainSession();
    emu.control.inject({ route: STREAM, errorFrameAfterEvents: 2, times: 1 });
    const stream = await client.beta.sessions.events.stream(session.id);
    await client.beta.sessions.events.send(session.id, message());
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(seen).toEqual(['user.message', 'session.status_running']);
    expect(failure).toBeInstanceOf(APIError);
    expect(failure).toMatchObject({ status: undefined, error: { error: { type: 'overloaded_error' } } });
  });
});

describe('per-key rate limit', () => {
  it('is off by default', async () => {
    for (let i = 0; i < 30; i += 1) await client.beta.vaults.list();
    expect(emu.control.throttled()).toEqual([]);
  });

  it('answers 429 with retry-after and retry-after-ms once a key spends its burst', async () => {
    emu.control.rateLimit({ burst: 2, perSecond: 2 });
    await client.beta.vaults.list();
    await client.beta.vaults.list();
    const err = await client.beta.vaults.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RateLimitError);
    const headers = (err as RateLimitError).headers!;
    const ms = Number(headers.get('retry-after-ms'));
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(500);
    expect(headers.get('retry-after')).toBe(String(Math.ceil(ms / 1000)));
    expect((err as RateLimitError).error).toMatchObject({ error: { type: 'rate_limit_error' } });
    expect(emu.control.throttled()).toEqual([expect.objectContaining({ key: emu.apiKey, retryAfterMs: ms })]);
  });

  it('lets the SDK through after it waits as long as retry-after-ms says', async () => {
    emu.control.rateLimit({ burst: 1, perSecond: 4 });
    const retrying = new Anthropic({ baseURL: emu.url, apiKey: emu.apiKey, maxRetries: 1 });
    await retrying.beta.vaults.list();
    const started = Date.now();
    await retrying.beta.vaults.list();
    const [throttled] = emu.control.throttled();
    expect(throttled).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(throttled!.retryAfterMs - 5);
  });

  it('gives injected 429s a retry-after too', async () => {
    emu.control.inject({ route: 'GET /v1/vaults', status: 429, times: 1 });
    const res = await fetch(`${emu.url}/v1/vaults`, {
      headers: { 'x-api-key': emu.apiKey, 'anthropic-beta': 'managed-agents-2026-04-01' },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('retry-after-ms')).toBe('1000');
  });

  it('is switched on and off over the control plane', async () => {
    const put = await fetch(`${emu.url}/_emulator/rate-limit`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ burst: 1, perSecond: 0.1 }),
    });
    expect(put.status).toBe(204);
    await client.beta.vaults.list();
    await expect(client.beta.vaults.list()).rejects.toBeInstanceOf(RateLimitError);
    expect((await fetch(`${emu.url}/_emulator/rate-limit`, { method: 'DELETE' })).status).toBe(204);
    await vi.waitFor(() => client.beta.vaults.list());
  });
});
