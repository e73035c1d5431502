import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScalekitApi } from '../activities/apis/scalekit.js';
import { pauseForConsent, resumeAfterConsent } from '../consent/schedules.js';
import { scheduleId } from '../workflows/contract.js';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

/**
 * Claims the docs make that no other test checked: how long a session may run, given the token it
 * carries; what the sweep does with a token too short-lived; 403 and 404 from the session API end to
 * end; schedules an operator paused.
 */
describe('documented bounds and failure paths (real worker, dev server, emulators)', () => {
  let stack: TestStack;
  const T = temporal.api.enums.v1.EventType;

  beforeAll(async () => {
    stack = await startTestStack('claims');
    // Each test runs its own worker (some with other deps): this one only provisions.
    const worker = await stack.startWorker();
    await stack.inbox.setup();
    await worker.stop();
  });
  afterAll(async () => {
    await stack?.close();
  });

  /**
   * Runs `fn` on a worker whose Scalekit says each minted token lives the given seconds, in order
   * (the emulator's real expiry after those), and returns how many tokens were minted.
   */
  async function withTokenLives<T>(lives: number[], fn: () => Promise<T>): Promise<{ result: T; mints: number }> {
    const real = stack.deps.scalekit;
    let mints = 0;
    const scalekit: ScalekitApi = Object.assign(Object.create(real) as ScalekitApi, {
      async createSessionToken(...args: Parameters<ScalekitApi['createSessionToken']>) {
        const minted = await real.createSessionToken(...args);
        const life = lives[mints++];
        return life === undefined
          ? minted
          : { ...minted, expires_at: new Date(Date.now() + life * 1000).toISOString() };
      },
    });
    const worker = await stack.startWorker({ ...stack.deps, scalekit });
    try {
      return { result: await fn(), mints };
    } finally {
      await worker.stop();
    }
  }

  /** The session activity's scheduled bound (scheduleToClose), in seconds, from the sweep's history. */
  async function sessionBoundSeconds(workflowId: string): Promise<number> {
    const history = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = (history.events ?? []).find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runAgentSession',
    );
    return Number(scheduled!.activityTaskScheduledEventAttributes!.scheduleToCloseTimeout!.seconds);
  }

  it('a session is bounded by its token: it ends a minute before the token expires, not at the session timeout', async () => {
    const identifier = seedUser(stack);
    // 150 s of life: the session may run at most 90 s (less the steps since the mint).
    const { result, mints } = await withTokenLives([150], async () => {
      const handle = await stack.inbox.startSweep(identifier, { sessionTimeout: '30 minutes' });
      return { report: await handle.result(), workflowId: handle.workflowId };
    });
    expect(result.report.outcome).toBe('completed');
    expect(mints).toBe(1);
    const bound = await sessionBoundSeconds(result.workflowId);
    expect(bound).toBeGreaterThanOrEqual(60);
    expect(bound).toBeLessThanOrEqual(90);
  });

  it('a token with too little life left for a session is minted again before the session starts', async () => {
    const identifier = seedUser(stack);
    // 100 s of life leaves 40 s after the safety minute: under the one-minute floor, so mint again.
    const { result, mints } = await withTokenLives([100], async () => {
      const handle = await stack.inbox.startSweep(identifier, { sessionTimeout: '5 minutes' });
      return { report: await handle.result(), workflowId: handle.workflowId };
    });
    expect(result.report.outcome).toBe('completed');
    expect(result.report.sessions).toBe(1);
    expect(mints).toBe(2);
    // The second token lives the session timeout and its margin: the full five minutes.
    expect(await sessionBoundSeconds(result.workflowId)).toBe(300);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
  });

  it.each([
    [403, 'PermissionDenied'],
    [404, 'NotFound'],
  ])(
    'a %i from the session API fails the sweep as %s after one attempt, and the session is ended',
    async (status, type) => {
      const worker = await stack.startWorker();
      try {
        const identifier = seedUser(stack);
        stack.emulators.agents.control.inject({ route: 'POST /v1/sessions/:session_id/events', status, times: 1 });
        const handle = await stack.inbox.startSweep(identifier);
        const err = await handle.result().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(WorkflowFailedError);
        const activity = (err as WorkflowFailedError).cause;
        expect(activity).toBeInstanceOf(ActivityFailure);
        expect((activity as ActivityFailure).activityType).toBe('runAgentSession');
        expect((activity as ActivityFailure).cause).toBeInstanceOf(ApplicationFailure);
        expect(((activity as ActivityFailure).cause as ApplicationFailure).type).toBe(type);

        const history = await handle.fetchHistory();
        const attempts = (history.events ?? [])
          .filter((e) => e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_STARTED)
          .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 1);
        expect(Math.max(...attempts)).toBe(1);
        // The session it created was interrupted and archived on that last attempt; nothing was booked.
        const sessions = stack.emulators.agents
          .sessions()
          .filter((s) => s.metadata.inbox_agent_identifier === identifier);
        expect(sessions).toHaveLength(1);
        expect(sessions[0]!.archived).toBe(true);
        expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
      } finally {
        stack.emulators.agents.control.clearFaults();
        await worker.stop();
      }
    },
  );

  it('a schedule paused by anyone else is neither paused over nor unpaused by the consent loop', async () => {
    const identifier = seedUser(stack);
    const schedules = stack.temporal.client.schedule;
    await stack.inbox.schedule(identifier, { every: '1 day' });
    try {
      await stack.inbox.pauseSchedule(identifier, 'maintenance window (ops)');
      expect(await pauseForConsent(schedules, identifier, 'gmail needs re-authorization')).toBe(false);
      expect(await resumeAfterConsent(schedules, identifier, 'consent is back')).toBe(false);
      const { state } = await schedules.getHandle(scheduleId(identifier)).describe();
      expect(state).toMatchObject({ paused: true, note: 'maintenance window (ops)' });

      // Ours, by contrast, is paused and unpaused.
      await stack.inbox.unpauseSchedule(identifier);
      expect(await pauseForConsent(schedules, identifier, 'gmail needs re-authorization')).toBe(true);
      expect(await resumeAfterConsent(schedules, identifier, 'consent is back')).toBe(true);
      expect((await schedules.getHandle(scheduleId(identifier)).describe()).state.paused).toBe(false);
    } finally {
      await stack.inbox.unschedule(identifier);
    }
  });
});
