import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SeedEmail } from '@inbox-agent/emulators/scalekit';
import { seedUser } from './helpers/demo.js';
import { killWorker, spawnWorker, workerProcessStack } from './helpers/worker-process.js';

/**
 * Issue 22: a worker SIGKILLed while it sends the tool policy's confirmations. The session's event
 * route is slowed, so the first reminder's `user.tool_confirmation` is in flight (the service holds
 * it, then acts on it) when the worker dies. The replacement re-attaches to the same session,
 * re-derives every decision from its history (the policy is pure), sends none twice and loses none:
 * the event the dead worker allowed is recorded for its message, and no message gets two.
 */
const EVENTS_ROUTE = 'POST /v1/sessions/:session_id/events';
const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
const EMAILS: SeedEmail[] = [
  { from: 'Ann <ann@example.com>', subject: 'Contract to sign', body: 'Sign by Monday.', receivedAt: at(20) },
  { from: 'Bo <bo@example.com>', subject: 'Board deck review', body: 'Review before Thursday.', receivedAt: at(10) },
];

describe('a worker SIGKILLed while sending tool confirmations', () => {
  const ctx = workerProcessStack('confirm-crash');
  let child: ChildProcess | undefined;

  it(
    'no duplicate event and no lost decision: the replacement finishes the same session',
    { timeout: 120_000 },
    async () => {
      const identifier = seedUser(ctx.stack, {}, EMAILS);
      const [first, second] = ctx.stack.emulators.scalekit.emails(identifier).map((m) => m.id);
      const spawned = spawnWorker(ctx.stack.workerEnv);
      child = spawned.child;
      const before = new Set(ctx.stack.emulators.agents.sessions().map((s) => s.id));
      const calls = () => ctx.stack.emulators.agents.control.calls(EVENTS_ROUTE);
      const base = calls();
      // Turn 1 posts its task, then confirms the fetch, then the create (list_events is not held):
      // each post waits 2 s in the service before it acts, so the third is the reminder's confirmation.
      ctx.stack.emulators.agents.control.inject({ route: EVENTS_ROUTE, latencyMs: 2_000 });
      const handle = await ctx.stack.inbox.startSweep(identifier);
      await vi
        .waitFor(() => expect(calls() - base).toBe(3), { timeout: 60_000, interval: 20 })
        .catch((err: Error) => {
          throw new Error(`${err.message}\n${spawned.output()}`);
        });
      expect(ctx.stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
      await killWorker(child);
      ctx.stack.emulators.agents.control.clearFaults();

      // The confirmation the dead worker sent still lands: the service books the first reminder.
      await vi.waitFor(() => expect(ctx.stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1), {
        timeout: 10_000,
        interval: 50,
      });
      const replacement = await ctx.stack.startWorker();
      const report = await handle.result();
      await replacement.stop();

      expect(report.outcome).toBe('completed');
      const mine = ctx.stack.emulators.agents.sessions().filter((s) => !before.has(s.id));
      expect(mine.map((s) => s.id)).toEqual([report.session!.sessionId]);
      // No duplicate: one event per message, each recorded for its own message.
      const events = ctx.stack.emulators.scalekit.calendarEvents(identifier);
      expect(events.map((e) => e.summary).sort()).toEqual([
        'Action Required: Board deck review',
        'Action Required: Contract to sign',
      ]);
      const recorded = new Map(report.messages!.events.map((e) => [e.messageId, e.eventId]));
      expect(new Set(recorded.values()).size).toBe(2);
      for (const id of [first!, second!]) expect(events.map((e) => e.id)).toContain(recorded.get(id));
      // No lost decision: the creation the dead worker allowed is in the summary, once, and counted.
      const creations = report.session!.toolDecisions.filter((d) => d.tool === 'googlecalendar_create_event');
      expect(creations.map((d) => [d.messageId, d.decision])).toEqual([
        [first, 'allow'],
        [second, 'allow'],
      ]);
      // Each held call was confirmed once: the session's log has one confirmation per decision.
      const log = ctx.stack.emulators.agents.sessions().find((s) => s.id === report.session!.sessionId)!.events;
      expect(log.filter((e) => e.type === 'user.tool_confirmation')).toHaveLength(report.session!.toolDecisions.length);
      expect(log.filter((e) => e.type === 'user.message')).toHaveLength(2);
    },
  );
});
