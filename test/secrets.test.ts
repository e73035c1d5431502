import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { ActivityDeps } from '../activities/index.js';
import { InboxAgentClient } from '../client/index.js';
import { parseWorkerConfig } from '../worker/config.js';
import { buildActivityDeps } from '../worker/deps.js';
import { searchAttributes } from '../workflows/contract.js';
import { seedUser } from './helpers/demo.js';
import { leaks, rawHistory } from './helpers/leaks.js';
import { startTestStack, type RunningWorker, type TestStack } from './helpers/stack.js';
import { waitForStatus } from './helpers/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Recognisable mail: if any of it reaches plaintext history, the search below finds it. */
function sentinelMail() {
  const text = `Zebracorn-${randomBytes(6).toString('hex')} ledger`;
  return {
    text,
    email: {
      from: 'Sentinel Sender <sentinel@acme.example>',
      subject: `${text} needs your sign-off`,
      body: `The ${text} must be signed by Friday. Finance cannot release it before then.`,
    },
  };
}

/**
 * Everything an operator, a log pipeline or the Temporal service sees, through sweeps that succeed
 * after a retry, get cancelled mid-session and fail, with the Anthropic SDK's debug logging
 * requested: the raw history bytes, the Web UI's API answers, the worker's and the CLI's output.
 * No session token anywhere, not even decoded by the codec server; no mail text in raw history.
 */
describe('secrets and mail stay out of history, logs and the Web UI', () => {
  let stack: TestStack;
  let worker: RunningWorker;
  let deps: ActivityDeps;
  /** Deps built here (each opens the state database), closed after the workers stop. */
  const opened: ActivityDeps[] = [];
  const lines: string[] = [];
  const tokens: string[] = [];
  const savedLog = process.env.ANTHROPIC_LOG;

  beforeAll(async () => {
    const capture = new DefaultLogger('TRACE', (entry) => lines.push(`${entry.message} ${show(entry.meta ?? {})}`));
    stack = await startTestStack('secrets', capture);
    // Asked for, as an operator might, before the worker's clients are built: they must not honour it.
    process.env.ANTHROPIC_LOG = 'debug';
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(show).join(' ')));
    }
    deps = recordingTokens(await buildActivityDeps(parseWorkerConfig(stack.workerEnv), stack.temporal.client), tokens);
    opened.push(deps);
    worker = await stack.startWorker(deps);
    await stack.inbox.setup();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    if (savedLog === undefined) delete process.env.ANTHROPIC_LOG;
    else process.env.ANTHROPIC_LOG = savedLog;
    await stack?.close();
    await Promise.all(opened.map((d) => d.state.close()));
  });

  it('succeeding, retried, cancelled and failing sweeps leak neither token nor mail', async () => {
    const { text, email } = sentinelMail();
    const identifier = seedUser(stack, {}, [email]);
    const agents = stack.emulators.agents.control;

    // Succeeds after a retry, started and awaited by the CLI.
    agents.inject({ route: 'POST /v1/vaults/:vault_id/credentials', status: 503, times: 1 });
    const cli = await runCli(stack, ['--json', 'sweep', identifier, '--wait']);
    expect(cli.code, cli.stderr).toBe(0);
    // --json prints a line per step; the last is the report.
    expect(JSON.parse(cli.stdout.trim().split('\n').at(-1)!)).toMatchObject({ outcome: 'completed' });

    // Cancelled while the session is being created (new mail each time, so every sweep has work).
    stack.emulators.scalekit.addEmail(identifier, { ...email, subject: `${email.subject} (2)` });
    agents.inject({ route: 'POST /v1/sessions', latencyMs: 3000, times: 1 });
    const cancelled = await stack.inbox.startSweep(identifier);
    await waitForStatus(cancelled, (s) => s.phase === 'running_session');
    await cancelled.cancel();
    await expect(cancelled.result()).rejects.toThrow();

    // Fails for good: the vault refuses the token.
    stack.emulators.scalekit.addEmail(identifier, { ...email, subject: `${email.subject} (3)` });
    agents.inject({ route: 'POST /v1/vaults/:vault_id/credentials/:credential_id', status: 401 });
    const failing = await stack.inbox.startSweep(identifier);
    await expect(failing.result()).rejects.toThrow();
    agents.clearFaults();

    const runs = await sweepsOf(stack.temporal.client, identifier, 3);
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    const secrets = [...tokens, ...tokens.map((t) => t.split('.').pop()!), stack.emulators.agents.apiKey];
    const ui = inject('temporalUiUrl');
    let decodedMail = 0;
    for (const { workflowId: id, runId } of runs) {
      const raw = await rawHistory(stack.temporal.client, id, runId);
      expect(leaks(raw, secrets), `token in raw history of ${id}`).toEqual([]);
      expect(leaks(raw, [text]), `mail in raw history of ${id}`).toEqual([]);

      const fromUi = await fetch(
        `${ui}/api/v1/namespaces/${stack.temporal.namespace}/workflows/${encodeURIComponent(id)}/history?execution.runId=${runId}`,
      );
      expect(fromUi.status).toBe(200);
      const answer = await fromUi.text();
      expect(answer).toContain(Buffer.from('binary/encrypted').toString('base64')); // payloads were there, encrypted
      expect(leaks(answer, secrets), `token in the Web UI's answer for ${id}`).toEqual([]);
      expect(leaks(answer, [text]), `mail in the Web UI's answer for ${id}`).toEqual([]);

      // An authorized operator, through the codec server, reads the mail but never the token.
      const decoded = await decodeAll(answer);
      expect(leaks(decoded, secrets), `token decoded from ${id}`).toEqual([]);
      if (decoded.includes(text)) decodedMail += 1;
    }
    expect(decodedMail).toBeGreaterThan(0);

    const log = [...lines, cli.stdout, cli.stderr].join('\n');
    expect(log).toMatch(/Activity failed/); // failures were logged, so the search has material
    // The SDK's debug logging stayed off (no request or response lines from the worker's clients).
    expect(lines.filter((l) => /sending request|response start/.test(l))).toEqual([]);
    expect(leaks(log, [...secrets, stack.emulators.scalekit.clientSecret])).toEqual([]);
  });

  it('the same search finds the mail when the codec is off, so it is not vacuous', async () => {
    await worker.stop();
    // A deployment without the codec: a plain worker and a plain client on the same queue.
    const plainClient = new Client({
      connection: stack.temporal.client.connection,
      namespace: stack.temporal.namespace,
    });
    const plainDeps = await buildActivityDeps(parseWorkerConfig(stack.workerEnv), plainClient);
    opened.push(plainDeps);
    await stack.startWorker(recordingTokens(plainDeps, tokens), {});
    const plain = new InboxAgentClient(plainClient, stack.taskQueue);
    const { text, email } = sentinelMail();
    const identifier = seedUser(stack, {}, [email]);
    const handle = await plain.startSweep(identifier);
    expect((await handle.result()).outcome).toBe('completed');

    const raw = await rawHistory(stack.temporal.client, handle.workflowId);
    expect(leaks(raw, [text]).length).toBeGreaterThan(0);
    // The seal still keeps the token out, codec or not.
    expect(leaks(raw, tokens)).toEqual([]);
  });
});

const show = (v: unknown) =>
  typeof v === 'string' ? v : JSON.stringify(v, (_k, x) => (x instanceof Error ? `${x.stack} ${String(x.cause)}` : x));

/** The deps, with every session token Scalekit mints written down for the search. */
function recordingTokens(deps: ActivityDeps, tokens: string[]): ActivityDeps {
  const scalekit = Object.create(deps.scalekit) as ActivityDeps['scalekit'];
  scalekit.createSessionToken = async (...args) => {
    const minted = await deps.scalekit.createSessionToken(...args);
    tokens.push(minted.token);
    return minted;
  };
  return { ...deps, scalekit };
}

async function runCli(stack: TestStack, args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'client/cli.ts', ...args],
      {
        cwd: root,
        timeout: 50_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ANTHROPIC_LOG: 'debug',
          TEMPORAL_ADDRESS: stack.temporal.address,
          TEMPORAL_NAMESPACE: stack.temporal.namespace,
          INBOX_AGENT_TASK_QUEUE: stack.taskQueue,
          INBOX_AGENT_CODEC_KEYS: stack.temporal.codecKeys,
        },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every run of the user's sweeps (one workflow id, a run per sweep), once `count` are visible. */
async function sweepsOf(client: Client, identifier: string, count: number) {
  return vi.waitFor(
    async () => {
      const runs: Array<{ workflowId: string; runId: string }> = [];
      const query = `${searchAttributes.identifier.name} = '${identifier}'`;
      for await (const { workflowId, runId } of client.workflow.list({ query })) runs.push({ workflowId, runId });
      if (runs.length < count) throw new Error(`${runs.length} of ${count} sweeps visible`);
      return runs;
    },
    { timeout: 10_000, interval: 200 },
  );
}

/** Every payload of a Web UI history answer, decoded by the codec server as the UI would. */
async function decodeAll(answer: string): Promise<string> {
  const payloads: unknown[] = [];
  JSON.parse(answer, (_key, value: unknown) => {
    if (value && typeof value === 'object' && 'metadata' in value && 'data' in value) payloads.push(value);
    return value;
  });
  const response = await fetch(`${inject('codecServerUrl')}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${inject('codecServerToken')}` },
    body: JSON.stringify({ payloads }),
  });
  expect(response.status).toBe(200);
  const decoded = (await response.json()) as { payloads: Array<{ data?: string }> };
  return decoded.payloads.map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('\n');
}
