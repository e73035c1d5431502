import type { VaultRef } from '../activities/types.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivities } from '../activities/index.js';
import { ErrorType } from '../workflows/contract.js';
import { BOOKED, seedUser, vaultsOf } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

const TOKENS = 'POST /api/v1/mcp/configs/:config_id/tokens';
const STREAM = 'GET /v1/sessions/:session_id/events/stream';
const CREDENTIALS = 'POST /v1/vaults/:vault_id/credentials';

/**
 * The product against emulators as strict as the services: session errors by retry status, mint
 * refusals by error code, credential races with and without the service's 409, rate limits with
 * retry-after, stream error frames, and a sent task that the event list shows late.
 */
describe('against strict services', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('strict');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterEach(() => {
    const { scalekit, agents } = stack.emulators;
    scalekit.control.clearFaults();
    scalekit.control.rateLimit(undefined);
    agents.control.clearFaults();
    agents.control.rateLimit(undefined);
    agents.clearSessionErrors();
    agents.configure({ credentialUrlConflict: true, userMessagesListed: 'on_arrival' });
    agents.setStepDelay(0);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const userMessages = (sessionId: string | undefined) =>
    stack.emulators.agents
      .sessions()
      .find((s) => s.id === sessionId)
      ?.events.filter((e) => e.type === 'user.message') ?? [];

  describe('session errors', () => {
    it('a retrying session.error is one the service recovers from: the sweep completes', async () => {
      const identifier = seedUser(stack);
      stack.emulators.agents.injectSessionError({ retryStatus: 'retrying', times: 1 });
      const report = await stack.inbox.sweep(identifier);
      expect(report.outcome).toBe('completed');
      expect(report.session?.error).toBeUndefined();
      expect(report.session?.stopReason).toBe('end_turn');
      expect(report.session?.toolCalls).toEqual(BOOKED);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    });

    it('an exhausted one fails the session with the retries_exhausted stop reason and its error', async () => {
      const identifier = seedUser(stack);
      stack.emulators.agents.injectSessionError({ retryStatus: 'retrying', times: 1 });
      stack.emulators.agents.injectSessionError({ retryStatus: 'exhausted', times: 1 });
      const report = await stack.inbox.sweep(identifier);
      expect(report.outcome).toBe('session_failed');
      expect(report.session?.stopReason).toBe('retries_exhausted');
      expect(report.session?.error?.type).toBe('model_overloaded_error');
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
    });

    it('a terminal one fails the session as terminated', async () => {
      const identifier = seedUser(stack);
      stack.emulators.agents.injectSessionError({ retryStatus: 'terminal', times: 1 });
      const report = await stack.inbox.sweep(identifier);
      expect(report.outcome).toBe('session_failed');
      expect(report.session?.stopReason).toBe('terminated');
      expect(report.session?.error?.type).toBe('billing_error');
      expect(stack.emulators.agents.sessions().find((s) => s.id === report.session?.sessionId)?.status).toBe(
        'terminated',
      );
    });
  });

  describe('token mint refusals', () => {
    it('a validation 400 fails the sweep as InvalidRequest instead of waiting for re-authorization', async () => {
      const identifier = seedUser(stack);
      stack.emulators.scalekit.control.inject({ route: TOKENS, status: 400, errorCode: 'INVALID_ARGUMENT' });
      const err = await stack.inbox.sweep(identifier, { reauthTimeout: '20s' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const activity = (err as WorkflowFailedError).cause as ActivityFailure;
      expect(activity.activityType).toBe('mintSessionToken');
      expect((activity.cause as ApplicationFailure).type).toBe(ErrorType.InvalidRequest);
      expect(stack.emulators.scalekit.control.calls(TOKENS)).toBeGreaterThan(0);
    });

    it('a not-active refusal while every account is ACTIVE again is retried, not waited on', async () => {
      const identifier = seedUser(stack);
      stack.emulators.scalekit.control.inject({
        route: TOKENS,
        status: 400,
        errorCode: 'CONNECTED_ACCOUNT_NOT_ACTIVE',
        times: 1,
      });
      const report = await stack.inbox.sweep(identifier, { reauthTimeout: '20s' });
      expect(report.outcome).toBe('completed');
      expect(report.reauthWaits).toBe(0);
    });
  });

  describe('overlapping first vault upserts of one user', () => {
    // One sweep per user runs at a time, but upsertVault can still overlap itself: an attempt past its
    // start-to-close timeout keeps running beside its retry, and two deployments may share an org.
    for (const credentialUrlConflict of [true, false]) {
      it(`converge on one live credential when the service ${credentialUrlConflict ? 'refuses' : 'allows'} a second`, async () => {
        stack.emulators.agents.configure({ credentialUrlConflict });
        const identifier = seedUser(stack);
        const { upsertVault } = createActivities(stack.deps);
        // Outside a workflow, so in a mock activity context: a sealed token opens only in its own run.
        const run = new MockActivityEnvironment({ workflowExecution: { workflowId: 'w', runId: 'r' } });
        const token = (value: string) => stack.deps.sealer.seal(value, { workflowId: 'w', runId: 'r', identifier });
        const upsert = (sealed: ReturnType<typeof token>) =>
          run.run<[], VaultRef, () => Promise<VaultRef>>(() => upsertVault(identifier, sealed));
        // Both find no credential before either has made one.
        stack.emulators.agents.control.inject({ route: CREDENTIALS, latencyMs: 400, times: 2 });
        const refs = await Promise.all([upsert(token('token-a')), upsert(token('token-b'))]);
        expect(stack.emulators.agents.control.calls(CREDENTIALS)).toBeGreaterThanOrEqual(2);
        const vaults = vaultsOf(stack, identifier);
        expect(vaults).toHaveLength(1);
        const live = vaults[0]!.credentials.filter((c) => !c.archived);
        expect(live).toHaveLength(1);
        expect(refs.map((r) => r.credentialId)).toEqual([live[0]!.id, live[0]!.id]);
        // The sweep after them uses that credential, with a fresh token, and the agent gets through.
        const report = await stack.inbox.sweep(identifier);
        expect(report.outcome).toBe('completed');
        expect(report.vault?.credentialId).toBe(live[0]!.id);
        expect(vaultsOf(stack, identifier)[0]!.credentials.filter((c) => !c.archived)).toHaveLength(1);
      });
    }
  });

  describe('rate limits and streams', () => {
    it("a rate-limited call is retried after the service's retry-after-ms, via nextRetryDelay", async () => {
      const identifier = seedUser(stack);
      // One call per burst, refilled in ~1.25 s: the mint right after the connection check is refused.
      stack.emulators.scalekit.control.rateLimit({ burst: 1, perSecond: 0.8 });
      const handle = await stack.inbox.startSweep(identifier);
      const report = await handle.result();
      expect(report.outcome).toBe('completed');
      // The mint is a local activity: its retries leave no pending activity to read, so the service
      // says when each refused call came. The retry of the first came no earlier than its
      // retry-after-ms, which was no whole second (retry-after alone could not say it), so
      // nextRetryDelay, not the policy's 1 s backoff, set it.
      const [first, ...later] = stack.emulators.scalekit.control.throttled();
      expect(first).toBeDefined();
      expect(first!.retryAfterMs % 1000).not.toBe(0);
      const early = later.filter((t) => t.route === first!.route && t.at < first!.at + first!.retryAfterMs);
      expect(early).toEqual([]);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    });

    it('an event: error frame on the stream is retried: the next attempt re-attaches to the same session', async () => {
      const identifier = seedUser(stack);
      stack.emulators.agents.setStepDelay(100);
      stack.emulators.agents.control.inject({ route: STREAM, errorFrameAfterEvents: 3, times: 1 });
      const streamsBefore = stack.emulators.agents.control.calls(STREAM);
      const sessionsBefore = stack.emulators.agents.sessions().length;
      const report = await stack.inbox.sweep(identifier);
      expect(report.outcome).toBe('completed');
      expect(report.session?.toolCalls).toEqual(BOOKED);
      expect(stack.emulators.agents.sessions().length - sessionsBefore).toBe(1);
      expect(stack.emulators.agents.control.calls(STREAM) - streamsBefore).toBe(2);
      expect(userMessages(report.session?.sessionId)).toHaveLength(1);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    });

    it('a re-attaching attempt does not send the task again when the list shows it only once processed', async () => {
      const identifier = seedUser(stack);
      stack.emulators.agents.configure({ userMessagesListed: 'when_processed' });
      // The turn outlasts the retry backoff (2 s), so the retry finds it still running.
      stack.emulators.agents.setStepDelay(500);
      stack.emulators.agents.control.inject({ route: STREAM, cutAfterEvents: 3, times: 1 });
      const report = await stack.inbox.sweep(identifier);
      expect(report.outcome).toBe('completed');
      expect(stack.emulators.agents.control.calls(STREAM)).toBeGreaterThanOrEqual(2);
      expect(userMessages(report.session?.sessionId)).toHaveLength(1);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    });
  });
});
