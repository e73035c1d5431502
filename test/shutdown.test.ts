import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { statusQuery, sweepWorkflowId } from '../workflows/contract.js';
import { seedUser } from './helpers/demo.js';
import { spawnWorker, workerProcessStack } from './helpers/worker-process.js';

const EventType = temporal.api.enums.v1.EventType;

/** SIGTERM during a session: the worker process lets it finish within INBOX_AGENT_SHUTDOWN_GRACE, then exits 0. */
describe('graceful shutdown', () => {
  const ctx = workerProcessStack('shutdown');
  let child: ChildProcess | undefined;

  it(
    'a session in flight at SIGTERM completes on its first attempt, then the process exits 0',
    { timeout: 120_000 },
    async () => {
      const identifier = seedUser(ctx.stack);
      ctx.stack.emulators.agents.setStepDelay(1_000);
      const worker = spawnWorker({
        ...ctx.stack.workerEnv,
        INBOX_AGENT_SHUTDOWN_GRACE: '30s',
        INBOX_AGENT_LOG_FORMAT: 'json',
      });
      child = worker.child;
      const { output, exited } = worker;

      const sessionsBefore = new Set(ctx.stack.emulators.agents.sessions().map((x) => x.id));
      const handle = await ctx.stack.inbox.startSweep(identifier);
      // The session is under way at the agent (its events flowing) when the worker is told to stop.
      await vi.waitFor(
        () => {
          const session = ctx.stack.emulators.agents.sessions().find((x) => !sessionsBefore.has(x.id));
          if (!session || session.events.length < 3) throw new Error('no running session yet');
        },
        { timeout: 60_000, interval: 100 },
      );
      expect((await handle.query(statusQuery)).phase).toBe('running_session');
      const stoppedAt = Date.now();
      child.kill('SIGTERM');
      expect(await exited, output()).toBe(0);
      const drainMs = Date.now() - stoppedAt;

      // The session's activity finished in the stopping process, on attempt 1: nothing was cut off.
      const history = await ctx.stack.temporal.client.workflow.getHandle(sweepWorkflowId(identifier)).fetchHistory();
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
      ctx.stack.emulators.agents.setStepDelay(0);
      const next = await ctx.stack.startWorker();
      const report = await handle.result();
      await next.stop();
      expect(report.outcome).toBe('completed');
      expect(report.sessions).toBe(1);
      expect(ctx.stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
      await vi.waitFor(() => expect(output()).toContain('inbox-agent worker stopped'));
    },
  );

  it("with OTEL_EXPORTER_OTLP_ENDPOINT set, the sweep's spans reach the collector by the time the worker exits", async () => {
    // A stand-in OTLP/HTTP collector: the exporter posts JSON to /v1/traces.
    const bodies: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    try {
      const { port } = collector.address() as AddressInfo;
      const worker = spawnWorker({ ...ctx.stack.workerEnv, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
      child = worker.child;
      const report = await ctx.stack.inbox.sweep(seedUser(ctx.stack));
      expect(report.outcome).toBe('completed');
      child.kill('SIGTERM');
      expect(await worker.exited, worker.output()).toBe(0);
      const exported = bodies.join('\n');
      for (const name of ['RunWorkflow:inboxSweep', 'RunActivity:mintSessionToken', 'RunActivity:runAgentSession']) {
        expect(exported).toContain(name);
      }
      expect(exported).toContain('inbox-agent-worker');
    } finally {
      collector.close();
    }
  });
});
