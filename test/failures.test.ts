import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { RetryState } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorType } from '../workflows/contract.js';
import { BOOKED, seedUser } from './helpers/demo.js';
import { DEFAULT_SAMPLES } from '../emulators/managed-agents/samples.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

const ACCOUNTS = 'POST /api/v1/mcp/configs/:config_id/connected_accounts';
const STREAM = 'GET /v1/sessions/:session_id/events/stream';

/** The activity failure under a failed sweep. */
async function activityFailureOf(
  result: Promise<unknown>,
): Promise<{ activity: ActivityFailure; cause: ApplicationFailure }> {
  const err = await result.then(
    () => {
      throw new Error('the sweep was expected to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const activity = (err as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  const cause = (activity as ActivityFailure).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return { activity: activity as ActivityFailure, cause: cause as ApplicationFailure };
}

describe('failures and retries', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('failures');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterEach(() => {
    stack.emulators.scalekit.control.clearFaults();
    stack.emulators.agents.control.clearFaults();
    stack.emulators.agents.configure(DEFAULT_SAMPLES);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a 401 from Scalekit fails the activity after one attempt as Unauthenticated', async () => {
    const identifier = seedUser(stack);
    stack.emulators.scalekit.control.inject({ route: ACCOUNTS, status: 401 });
    const before = stack.emulators.scalekit.control.calls(ACCOUNTS);
    const { activity, cause } = await activityFailureOf(stack.inbox.sweep(identifier));
    expect(activity.activityType).toBe('checkConnections');
    expect(activity.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
    expect(cause.type).toBe(ErrorType.Unauthenticated);
    expect(cause.nonRetryable).toBe(true);
    // One attempt: the call, one API-token refresh, the call again; no Temporal retry.
    expect(stack.emulators.scalekit.control.calls(ACCOUNTS) - before).toBe(2);
  });

  it('a 401 from Anthropic fails the activity after one attempt as Unauthenticated', async () => {
    const identifier = seedUser(stack);
    stack.emulators.agents.control.inject({ route: 'POST /v1/vaults', status: 401 });
    const before = stack.emulators.agents.control.calls('POST /v1/vaults');
    const { activity, cause } = await activityFailureOf(stack.inbox.sweep(identifier));
    expect(activity.activityType).toBe('upsertVault');
    expect(activity.retryState).toBe(RetryState.NON_RETRYABLE_FAILURE);
    expect(cause.type).toBe(ErrorType.Unauthenticated);
    expect(stack.emulators.agents.control.calls('POST /v1/vaults') - before).toBe(1);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
  });

  it('injected 503s are retried by Temporal to success, with nothing duplicated', async () => {
    const identifier = seedUser(stack);
    stack.emulators.scalekit.control.inject({ route: ACCOUNTS, status: 503, times: 2 });
    stack.emulators.agents.control.inject({ route: 'POST /v1/sessions', status: 503, times: 2 });
    const sessionsBefore = stack.emulators.agents.control.calls('POST /v1/sessions');
    const report = await stack.inbox.sweep(identifier);
    expect(report.outcome).toBe('completed');
    expect(stack.emulators.agents.control.calls('POST /v1/sessions') - sessionsBefore).toBe(3);
    const sessions = stack.emulators.agents.sessions().filter((s) => s.id === report.session?.sessionId);
    expect(sessions).toHaveLength(1);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
  });

  // How the platform ends such a turn is undocumented (evidence A34): both readings, emulators/managed-agents/samples.ts.
  for (const mcpFailureRetry of ['exhausted', 'terminal'] as const) {
    it(`a session the MCP server refuses (retry_status ${mcpFailureRetry}) ends with the session_failed outcome and its error type`, async () => {
      stack.emulators.agents.configure({ mcpFailureRetry });
      const identifier = seedUser(stack);
      // The worker reads the inbox through the same server first, so the refusal is armed only once the
      // session is being created (held open by the latency), and only for the agent's connect.
      stack.emulators.agents.control.inject({ route: 'POST /v1/sessions', latencyMs: 500, times: 1 });
      const before = stack.emulators.agents.control.calls('POST /v1/sessions');
      const pending = stack.inbox.sweep(identifier);
      await vi.waitFor(
        () => expect(stack.emulators.agents.control.calls('POST /v1/sessions')).toBeGreaterThan(before),
        {
          timeout: 20_000,
          interval: 10,
        },
      );
      stack.emulators.scalekit.control.inject({ route: 'POST /mcp/v3/servers/:server_id', status: 401, times: 1 });
      const report = await pending;
      expect(report.outcome).toBe('session_failed');
      expect(report.session?.error?.type).toBe('mcp_authentication_failed_error');
      expect(report.session?.toolCalls).toEqual([]);
      expect(report.messages?.unhandled).toHaveLength(1);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
      const session = stack.emulators.agents.sessions().find((s) => s.id === report.session?.sessionId);
      expect(session?.status).toBe(mcpFailureRetry === 'terminal' ? 'terminated' : 'idle');
    });
  }

  it('a stream cut mid-session re-attaches to the same session and catches up from history', async () => {
    const identifier = seedUser(stack);
    stack.emulators.agents.setStepDelay(150);
    stack.emulators.agents.control.inject({ route: STREAM, cutAfterEvents: 3, times: 1 });
    const sessionsBefore = stack.emulators.agents.sessions().length;
    try {
      const report = await stack.inbox.sweep(identifier);
      expect(report.outcome).toBe('completed');
      expect(report.session?.toolCalls).toEqual(BOOKED);
      expect(stack.emulators.agents.sessions().length - sessionsBefore).toBe(1);
      expect(stack.emulators.agents.control.calls(STREAM)).toBeGreaterThanOrEqual(2);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    } finally {
      stack.emulators.agents.setStepDelay(0);
    }
  });
});
