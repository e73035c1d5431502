import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BOOKED, seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

/** The sessions of one user (each carries its identifier in its metadata). */
const sessionsOf = (stack: TestStack, identifier: string) =>
  stack.emulators.agents.sessions().filter((s) => s.metadata.inbox_agent_identifier === identifier);

describe('agent sessions bounded and cleaned up (real worker, dev server, emulators)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('session-life');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterEach(() => {
    stack.emulators.agents.setStepDelay(0);
    stack.emulators.agents.control.clearFaults();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(
    'a cancelled sweep interrupts and archives its session: nothing is booked afterwards',
    { timeout: 60_000 },
    async () => {
      const identifier = seedUser(stack);
      stack.emulators.agents.setStepDelay(1_000);
      const handle = await stack.inbox.startSweep(identifier);
      // Mid-turn: the agent has started working, and has not booked anything yet.
      const session = await vi.waitFor(
        () => {
          const [s] = sessionsOf(stack, identifier);
          if (!s?.events.some((e) => e.type === 'session.status_running')) throw new Error('session not running yet');
          return s;
        },
        { timeout: 30_000, interval: 50 },
      );
      await handle.cancel();
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);

      const ended = await vi.waitFor(
        () => {
          const s = sessionsOf(stack, identifier).find((x) => x.id === session.id)!;
          if (!s.archived) throw new Error('session not archived yet');
          return s;
        },
        { timeout: 10_000, interval: 50 },
      );
      const types = ended.events.map((e) => e.type);
      expect(types).toContain('user.interrupt');
      // The turn ended at the interrupt: no tool call after it.
      expect(types.slice(types.indexOf('user.interrupt')).filter((t) => t.startsWith('agent.mcp_tool_use'))).toEqual(
        [],
      );
      expect(ended.status).not.toBe('running');
      // A few of the agent's steps later, still nothing booked and no further event in the session.
      const eventsAtEnd = ended.events.length;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
      expect(sessionsOf(stack, identifier)[0]!.events).toHaveLength(eventsAtEnd);
      expect(sessionsOf(stack, identifier)).toHaveLength(1);
    },
  );

  it('a finished session is archived once its events are confirmed', async () => {
    const identifier = seedUser(stack);
    const report = await stack.inbox.sweep(identifier);
    expect(report.outcome).toBe('completed');
    const [session] = sessionsOf(stack, identifier);
    expect(session).toMatchObject({ id: report.session?.sessionId, status: 'idle', archived: true });
  });

  it(
    'a sweep terminated mid-session: the next sweep ends the session left behind, one event per email, no live session',
    { timeout: 90_000 },
    async () => {
      const identifier = seedUser(stack);
      stack.emulators.agents.setStepDelay(400);
      const first = await stack.inbox.startSweep(identifier);
      // The agent is at work (it has read the mail) when the sweep is terminated: no workflow code runs.
      await vi.waitFor(
        () => {
          const [s] = sessionsOf(stack, identifier);
          if (!s?.events.some((e) => e.type === 'agent.mcp_tool_use')) throw new Error('agent not at work yet');
        },
        { timeout: 30_000, interval: 20 },
      );
      await first.terminate('chaos');
      const [leftover] = sessionsOf(stack, identifier);
      expect(leftover).toMatchObject({ status: 'running', archived: false });

      const report = await stack.inbox.sweep(identifier);
      expect(report.outcome).toBe('completed');
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
      const sessions = sessionsOf(stack, identifier);
      expect(sessions).toHaveLength(2);
      expect(sessions.filter((s) => s.status === 'running' || !s.archived)).toEqual([]);
      // The one left behind was interrupted before the new session was created.
      const ended = sessions.find((s) => s.id === leftover!.id)!;
      expect(ended.events.map((e) => e.type)).toContain('user.interrupt');
      // A while later, still one event: the old agent books nothing more.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    },
  );

  it(
    'a lost sessions.create response is found again by the retry: one session in total',
    { timeout: 60_000 },
    async () => {
      const identifier = seedUser(stack);
      const creates = () => stack.emulators.agents.control.calls('POST /v1/sessions');
      const before = creates();
      // The service creates the session, and the answer is lost (a 500 after the work).
      stack.emulators.agents.control.inject({ route: 'POST /v1/sessions', status: 500, afterWork: true, times: 1 });

      const report = await stack.inbox.sweep(identifier);
      expect(report.outcome).toBe('completed');
      expect(report.session?.toolCalls).toEqual(BOOKED);
      expect(creates() - before).toBe(1);
      const sessions = sessionsOf(stack, identifier);
      expect(sessions).toHaveLength(1);
      expect(report.session?.sessionId).toBe(sessions[0]!.id);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    },
  );

  it(
    'progress reaches status through heartbeats; history does not grow with session length',
    { timeout: 120_000 },
    async () => {
      async function sweepWithStepDelay(stepDelayMs: number, whileRunning?: (identifier: string) => Promise<void>) {
        const identifier = seedUser(stack);
        stack.emulators.agents.setStepDelay(stepDelayMs);
        const started = Date.now();
        const handle = await stack.inbox.startSweep(identifier);
        await whileRunning?.(identifier);
        const report = await handle.result();
        const sessionMs = Date.now() - started;
        expect(report.outcome).toBe('completed');
        const events = (await handle.fetchHistory()).events?.length ?? 0;
        return { events, sessionMs };
      }

      const short = await sweepWithStepDelay(100);
      const long = await sweepWithStepDelay(1_500, async (identifier) => {
        // `status` (as the CLI and services call it) shows the session's progress mid-session: events
        // seen, as fresh as the heartbeat throttle allows (0.8 of the 10 s heartbeat timeout).
        const status = await vi.waitFor(
          async () => {
            const [sweep] = await stack.inbox.status(identifier);
            if (sweep?.status.phase !== 'running_session' || !sweep.status.progress?.eventsSeen) {
              throw new Error(`no progress yet: ${JSON.stringify(sweep?.status)}`);
            }
            return sweep.status;
          },
          { timeout: 30_000, interval: 250 },
        );
        expect(status.sessionId).toBe(sessionsOf(stack, identifier)[0]!.id);
      });
      // A session many times longer leaves exactly as many history events: progress costs none.
      expect(long.sessionMs).toBeGreaterThan(4 * short.sessionMs);
      expect(long.events).toBe(short.events);
      console.log(
        `history: ${short.events} events after ${short.sessionMs} ms, ${long.events} after ${long.sessionMs} ms`,
      );
    },
  );
});
