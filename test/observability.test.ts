import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { metricNames, operatorWorkflowId, sweepWorkflowId } from '../workflows/contract.js';
import { createLogger } from '../worker/logging.js';
import { installRuntime } from '../worker/start.js';
import { installTracing } from '../worker/tracing.js';
import { INVOICE_EMAIL, seedUser, vaultsOf } from './helpers/demo.js';
import { freePort } from './helpers/ports.js';
import { startTestStack, type RunningWorker, type TestStack } from './helpers/stack.js';
import { workflowBundle } from './helpers/temporal.js';
import { waitForStatus } from './helpers/wait.js';

/**
 * The operator's signals from a real sweep on a real worker: our counters on the runtime's
 * Prometheus endpoint, one span tree from the client's start through every activity, and JSON log
 * lines carrying the ids with secrets redacted. This file installs the process's runtime (metrics
 * endpoint, JSON logger) and tracer provider (in-memory) before the stack connects.
 */
describe('observability', () => {
  let stack: TestStack;
  let worker: RunningWorker;
  let metricsUrl: string;
  const lines: string[] = [];
  const spans = new InMemorySpanExporter();

  beforeAll(async () => {
    const address = `127.0.0.1:${await freePort()}`;
    metricsUrl = `http://${address}/metrics`;
    installRuntime({
      metricsAddress: address,
      logger: createLogger({ format: 'json', level: 'INFO' }, (line) => lines.push(line)),
    });
    installTracing({ spanProcessor: new SimpleSpanProcessor(spans) });
    stack = await startTestStack('observe');
    // Tracing is on, so the stack gives this worker the traced workflow bundle.
    worker = await stack.startWorker(undefined, undefined, { reauthGaugeIntervalMs: 200 });
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Values of one metric on this test's task queue, by the tags asked for. */
  async function metric(name: string, tags: Record<string, string> = {}): Promise<number | undefined> {
    const text = await (await fetch(metricsUrl)).text();
    const wanted = { taskQueue: stack.taskQueue, ...tags };
    let total: number | undefined;
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      if (Object.entries(wanted).every(([k, v]) => labels[k] === v)) total = (total ?? 0) + Number(match[3]);
    }
    return total;
  }

  it('a sweep shows in our counters, a span tree and JSON log lines with its ids', async () => {
    const identifier = seedUser(stack);
    // One failed attempt (retried by Temporal), so the failure counter has something to count.
    stack.emulators.agents.control.inject({ route: 'POST /v1/vaults/:vault_id/credentials', status: 503, times: 1 });
    const handle = await stack.inbox.startSweep(identifier);
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    const usage = report.session!.usage;
    expect(usage.inputTokens).toBeGreaterThan(0);

    // Metrics: the workflow's counters reach the exporter through a sink, so poll briefly.
    await vi.waitFor(async () => expect(await metric(`${metricNames.sweeps}`, { outcome: 'completed' })).toBe(1));
    expect(await metric(`${metricNames.sessionsStarted}`)).toBe(1);
    expect(await metric(`${metricNames.tokensMinted}`)).toBe(1);
    expect(await metric(`${metricNames.agentTokens}`, { direction: 'input' })).toBe(usage.inputTokens);
    expect(await metric(`${metricNames.agentTokens}`, { direction: 'output' })).toBe(usage.outputTokens);
    expect(
      await metric(`${metricNames.activityFailures}`, { activityType: 'upsertVault', error_type: 'Http503' }),
    ).toBe(1);
    // Every held tool call the policy decided, once each, by tool and decision.
    const decided = report.session!.toolDecisions;
    expect(decided.length).toBeGreaterThan(0);
    for (const { tool, decision } of decided) {
      const expected = decided.filter((d) => d.tool === tool && d.decision === decision).length;
      expect(await metric(metricNames.toolCalls, { tool, decision }), `${tool} ${decision}`).toBe(expected);
    }

    // Tracing: the client's start is the root; the run and every activity hang under it.
    const trace = await vi.waitFor(() => {
      const root = spans.getFinishedSpans().find((s) => s.name === 'StartWorkflow:inboxSweep');
      const run = spans.getFinishedSpans().find((s) => s.name === 'RunWorkflow:inboxSweep');
      if (!root || !run) throw new Error('no workflow spans yet');
      return spans.getFinishedSpans().filter((s) => s.spanContext().traceId === root.spanContext().traceId);
    });
    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    const ancestry = (span: ReadableSpan): string[] => {
      const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
      return parent ? [parent.name, ...ancestry(parent)] : [];
    };
    const activities = ['checkConnections', 'mintSessionToken', 'findUnhandled', 'upsertVault', 'runAgentSession'];
    for (const activity of [...activities, 'confirmHandled']) {
      const run = trace.find((s) => s.name === `RunActivity:${activity}` && s.status.code !== 2);
      expect(run, activity).toBeDefined();
      expect(ancestry(run!)).toEqual([
        `StartActivity:${activity}`,
        'RunWorkflow:inboxSweep',
        'StartWorkflow:inboxSweep',
      ]);
    }
    // The failed attempt is in the tree too, marked as an error.
    expect(trace.filter((s) => s.name === 'RunActivity:upsertVault').map((s) => s.status.code)).toContain(2);

    // Logs: every line is one JSON object; the workflow's lines carry the identifier and the SDK's ids.
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.every((l) => typeof l.time === 'string' && typeof l.level === 'string')).toBe(true);
    const finished = parsed.find((l) => l.message === 'sweep finished' && l.identifier === identifier);
    expect(finished).toMatchObject({
      workflowId: sweepWorkflowId(identifier),
      runId: handle.firstExecutionRunId,
      outcome: 'completed',
    });
    const failed = parsed.find((l) => l.message === 'Activity failed' && l.activityType === 'upsertVault');
    expect(failed).toMatchObject({
      workflowId: sweepWorkflowId(identifier),
      workflowRunId: handle.firstExecutionRunId,
    });

    // Nothing the sweep handled as a secret reached a line.
    const token = vaultsOf(stack, identifier)[0]!.credentials[0]!.token;
    const all = lines.join('\n');
    for (const secret of [token, stack.emulators.agents.apiKey, stack.emulators.scalekit.clientSecret]) {
      expect(all).not.toContain(secret);
    }
  });

  it('a planted token is redacted by key and by shape', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const before = lines.length;
    Runtime.instance().logger.warn(`call failed with Bearer ${jwt}`, {
      token: 'opaque-secret-value',
      headers: { Authorization: 'whatever' },
      api_key: 'sk-ant-api03-abcdefghijkl',
      error: new Error(`401 for ${jwt}`),
      note: 'key sk-ant-api03-zyxwvutsrqpo in text',
      identifier: 'user-1',
    });
    const line = lines.slice(before).join('\n');
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'WARN', identifier: 'user-1', token: '[redacted]', api_key: '[redacted]' });
    for (const secret of [jwt, 'opaque-secret-value', 'whatever', 'sk-ant-api03']) expect(line).not.toContain(secret);
  });

  it('the gauge counts users waiting for re-authorization, from visibility', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' }, [INVOICE_EMAIL]);
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '1 hour' });
    await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    const gauge = metricNames.usersAwaitingReauthorization;
    await vi.waitFor(async () => expect(await metric(gauge)).toBe(1), { timeout: 10_000, interval: 200 });
    await handle.terminate('test over');
    await vi.waitFor(async () => expect(await metric(gauge)).toBe(0), { timeout: 10_000, interval: 200 });
  });

  // Last: it swaps the traced worker for one running the plain bundle.
  it('histories replay across the traced and the plain bundle, as a fleet changing its tracing runs both', async () => {
    const [traced, plain] = await Promise.all([workflowBundle({}, { traced: true }), workflowBundle()]);
    const history = (workflowId: string) => stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const replay = async (bundle: typeof plain, workflowId: string) =>
      Worker.runReplayHistory(
        // The sinks a worker has: the traced bundle's interceptors look their exporter up even in replay.
        {
          workflowBundle: bundle,
          dataConverter: stack.temporal.dataConverter,
          sinks: installTracing().workerOptions.sinks,
        },
        await history(workflowId),
        workflowId,
      );

    const recordedTraced = seedUser(stack);
    expect((await stack.inbox.sweep(recordedTraced)).outcome).toBe('completed');
    await worker.stop();
    worker = await stack.startWorker(undefined, undefined, { workflowBundle: plain });
    const recordedPlain = seedUser(stack);
    expect((await stack.inbox.sweep(recordedPlain)).outcome).toBe('completed');
    // The operator's history now holds tasks of both: its start and setup traced, this update plain.
    await stack.inbox.setup();

    // runReplayHistory throws a DeterminismViolationError (or the workflow's own failure) on a mismatch.
    await replay(plain, sweepWorkflowId(recordedTraced));
    await replay(traced, sweepWorkflowId(recordedPlain));
    const operator = operatorWorkflowId(stack.taskQueue);
    await replay(plain, operator);
    await replay(traced, operator);
    // The recordings differ as claimed: only the traced run carries the OpenTelemetry SDK flags.
    const flags = async (workflowId: string) =>
      (await history(workflowId)).events!.flatMap(
        (e) => e.workflowTaskCompletedEventAttributes?.sdkMetadata?.langUsedFlags ?? [],
      );
    expect(await flags(sweepWorkflowId(recordedTraced))).toContain(5);
    expect(await flags(sweepWorkflowId(recordedPlain))).not.toContain(5);
  });
});
