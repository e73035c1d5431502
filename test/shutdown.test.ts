import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sweepWorkflowId } from '../workflows/contract.js';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';
import { waitForStatus } from './helpers/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const EventType = temporal.api.enums.v1.EventType;

/** SIGTERM during a session: the worker process lets it finish within INBOX_AGENT_SHUTDOWN_GRACE, then exits 0. */
describe('graceful shutdown', () => {
  let stack: TestStack;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startTestStack('shutdown');
    const setupWorker = await stack.startWorker();
    await stack.inbox.setup();
    await setupWorker.stop();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await stack?.close();
  });

  it(
    'a session in flight at SIGTERM completes on its first attempt, then the process exits 0',
    {
      timeout: 120_000,
    },
    async () => {
      const identifier = seedUser(stack);
      stack.emulators.agents.setStepDelay(700);
      child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
        cwd: root,
        env: { ...process.env, ...stack.workerEnv, INBOX_AGENT_SHUTDOWN_GRACE: '30s', INBOX_AGENT_LOG_FORMAT: 'json' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (d) => (output += d));
      child.stderr?.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

      const handle = await stack.inbox.startSweep(identifier);
      await waitForStatus(handle, (s) => s.phase === 'running_session' && (s.progress?.eventsSeen ?? 0) > 0, 60_000);
      const stoppedAt = Date.now();
      child.kill('SIGTERM');
      expect(await exited, output).toBe(0);
      const drainMs = Date.now() - stoppedAt;

      // The session's activity finished in the stopping process, on attempt 1: nothing was cut off.
      const history = await stack.temporal.client.workflow.getHandle(sweepWorkflowId(identifier)).fetchHistory();
      const events = history.events ?? [];
      const scheduled = events.find(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
          e.activityTaskScheduledEventAttributes?.activityType?.name === 'runAgentSession',
      );
      const byScheduled = (e: (typeof events)[number]) =>
        Number(
          e.activityTaskStartedEventAttributes?.scheduledEventId ??
            e.activityTaskCompletedEventAttributes?.scheduledEventId,
        ) === Number(scheduled?.eventId);
      const started = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && byScheduled(e));
      const completed = events.find(
        (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && byScheduled(e),
      );
      expect(completed, 'runAgentSession completed before the worker exited').toBeDefined();
      expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(1);
      expect(drainMs).toBeGreaterThan(500); // it did wait for the session

      // The rest of the sweep runs on the next worker; one session, one event.
      stack.emulators.agents.setStepDelay(0);
      await stack.startWorker();
      const report = await handle.result();
      expect(report.outcome).toBe('completed');
      expect(report.sessions).toBe(1);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
      await vi.waitFor(() => expect(output).toContain('inbox-agent worker stopped'));
    },
  );
});
