import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSealer, sealKeys, type Sealer } from '../activities/seal.js';
import { InboxAgentClient } from '../client/index.js';
import { dataConverter } from '../codec/data-converter.js';
import { generateKeySpec } from '../codec/keys.js';
import { parseWorkerConfig } from '../worker/config.js';
import { buildActivityDeps } from '../worker/deps.js';
import { seedUser } from './helpers/demo.js';
import { rawHistory } from './helpers/leaks.js';
import { startTestStack, type TestStack } from './helpers/stack.js';
import { waitForStatus } from './helpers/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const b64 = (s: string) => Buffer.from(s).toString('base64');
const jsonPayload = (value: unknown) => ({
  metadata: { encoding: b64('json/plain') },
  data: b64(JSON.stringify(value)),
});

describe('codec server (the one the suite wires into the Web UI)', () => {
  const url = inject('codecServerUrl');
  const token = inject('codecServerToken');
  const ui = inject('temporalUiUrl');
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify(body),
    });
  const bearer = { authorization: `Bearer ${token}` };

  it('encodes and decodes proto-JSON payloads, by bearer token or by the token in the path', async () => {
    const original = { payloads: [jsonPayload({ subject: 'Quarterly numbers' }), jsonPayload('x')] };
    const encoded = await post('/encode', original, bearer);
    expect(encoded.status).toBe(200);
    const sealed = (await encoded.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(sealed.payloads).toHaveLength(2);
    expect(sealed.payloads[0]!.metadata.encoding).toBe(b64('binary/encrypted'));
    expect(sealed.payloads[0]!.metadata['encryption-key-id']).toBe(b64('suite'));
    expect(JSON.stringify(sealed)).not.toContain(b64(JSON.stringify({ subject: 'Quarterly numbers' })));

    const decoded = await post(`/${token}/decode`, sealed);
    expect(decoded.status).toBe(200);
    expect(await decoded.json()).toEqual(original);
  });

  it('refuses callers without the token: 401, and says nothing of the payloads', async () => {
    const body = { payloads: [jsonPayload('x')] };
    for (const response of [
      await post('/decode', body),
      await post('/encode', body, { authorization: 'Bearer wrong' }),
      await post(`/${'a'.repeat(token.length)}/decode`, body),
    ]) {
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: 'unauthorized' });
    }
  });

  it('answers the Web UI origin preflight, and refuses other origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/${token}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
    const allowed = await preflight(ui);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ui);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);

    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const fromOther = await post('/decode', { payloads: [] }, { ...bearer, origin: 'https://evil.example' });
    expect(fromOther.status).toBe(403);
  });

  it('a payload under a key it lacks is a 400 naming the key id', async () => {
    const foreign = await dataConverter(generateKeySpec('elsewhere')).payloadCodecs![0]!.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('1') },
    ]);
    const body = {
      payloads: foreign.map((p) => ({
        metadata: Object.fromEntries(
          Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
        ),
        data: Buffer.from(p.data!).toString('base64'),
      })),
    };
    const response = await post('/decode', body, bearer);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/key "elsewhere"/);
  });

  it('npm run codec-server: a missing token is one line and exit 2', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'codec/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, INBOX_AGENT_CODEC_KEYS: generateKeySpec('k') },
    });
    await expect(run).rejects.toMatchObject({
      code: 2,
      stderr: 'inbox-agent codec server: INBOX_AGENT_CODEC_SERVER_TOKEN is not set (see .env.example)\n',
    });
  });
});

describe('key rotation', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('rotation');
    const worker = await stack.startWorker();
    await stack.inbox.setup();
    await worker.stop();
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** A client and a worker of a deployment whose codec and seal keys are the given sets. */
  async function deployment(codecKeys: string, sealKeySpec: string) {
    const converter = dataConverter(codecKeys);
    const client = new Client({
      connection: stack.temporal.client.connection,
      namespace: stack.temporal.namespace,
      dataConverter: converter,
    });
    const env = { ...stack.workerEnv, INBOX_AGENT_CODEC_KEYS: codecKeys, INBOX_AGENT_SEAL_KEYS: sealKeySpec };
    const deps = await buildActivityDeps(parseWorkerConfig(env), client);
    const running = await stack.startWorker(deps, converter);
    const worker = { stop: () => running.stop().then(() => deps.state.close()) };
    return { inbox: new InboxAgentClient(client, stack.taskQueue), worker };
  }

  it('a sweep waiting across a rotation of codec and seal keys completes', async () => {
    const [codecA, codecB] = [generateKeySpec('codec-a'), generateKeySpec('codec-b')];
    const [sealA, sealB] = [generateKeySpec('seal-a'), generateKeySpec('seal-b')];
    const before = await deployment(codecA, sealA);
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const started = await before.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
    await waitForStatus(started, (s) => s.phase === 'awaiting_reauthorization');
    await before.worker.stop();

    // Every worker and client restarts with the new keys first and the old ones still there.
    const after = await deployment(`${codecB},${codecA}`, `${sealB},${sealA}`);
    stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
    await after.inbox.reauthorized(identifier, { workflowId: started.workflowId });
    const handle = after.inbox.client.workflow.getHandle(started.workflowId);
    await expect(handle.result()).resolves.toMatchObject({ outcome: 'completed' });
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);

    // Written under both keys, read with both; a client that only has the old key cannot read the new.
    const raw = await rawHistory(stack.temporal.client, started.workflowId);
    expect(raw.includes(Buffer.from('codec-a'))).toBe(true);
    expect(raw.includes(Buffer.from('codec-b'))).toBe(true);
    const stale = new Client({
      connection: stack.temporal.client.connection,
      namespace: stack.temporal.namespace,
      dataConverter: dataConverter(codecA),
    });
    await expect(stale.workflow.getHandle(started.workflowId).result()).rejects.toThrow(/key "codec-b"/);
    await after.worker.stop();
  });

  it('a sealed token that no longer opens is minted again, once, and the sweep completes', async () => {
    const current = createSealer(sealKeys(generateKeySpec('seal-now')));
    const dropped = createSealer(sealKeys(generateKeySpec('seal-dropped')));
    let seals = 0;
    // The first token is sealed under a key the upserting worker no longer has.
    const sealer: Sealer = {
      seal: (plaintext, binding) => (seals++ === 0 ? dropped : current).seal(plaintext, binding),
      open: (secret, binding) => current.open(secret, binding),
    };
    let mints = 0;
    const scalekit = Object.create(stack.deps.scalekit) as typeof stack.deps.scalekit;
    scalekit.createSessionToken = (...args) => ((mints += 1), stack.deps.scalekit.createSessionToken(...args));
    const worker = await stack.startWorker({ ...stack.deps, sealer, scalekit });
    const identifier = seedUser(stack);
    const report = await stack.inbox.sweep(identifier);
    expect(report.outcome).toBe('completed');
    expect(mints).toBe(2);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    await worker.stop();
  });
});
