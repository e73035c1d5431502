import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedUser } from './helpers/demo.js';
import { waitForStatus } from './helpers/wait.js';
import { killWorker, spawnWorker, workerProcessStack } from './helpers/worker-process.js';

describe('a worker SIGKILLed while its sweep waits for approval', () => {
  const ctx = workerProcessStack('approval-crash');
  let child: ChildProcess | undefined;

  it(
    'loses no decision and books no event twice: the replacement carries the decision out once',
    { timeout: 120_000 },
    async () => {
      const identifier = seedUser(ctx.stack);
      await ctx.stack.deps.state.setApprovalMode(identifier, 'ask');
      // worker/main.ts as its own process, as production runs it, on the stack's shared state.
      const spawned = spawnWorker(ctx.stack.workerEnv);
      child = spawned.child;

      const handle = await ctx.stack.inbox.startSweep(identifier);
      const waiting = await waitForStatus(
        handle,
        (s) => s.phase === 'awaiting_approval' && s.proposals?.length === 1,
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${spawned.output()}`);
      });
      const [proposal] = waiting.proposals!;
      await killWorker(child);

      // The decision is sent while no worker runs: the Update waits for one, and is not lost.
      const decided = ctx.stack.inbox.decideProposals(identifier, { decision: 'approve', ids: [proposal!.id] });
      const replacement = await ctx.stack.startWorker();
      expect((await decided).decided).toEqual([{ id: proposal!.id, decision: 'approve' }]);
      const report = await handle.result();
      await replacement.stop();

      expect(report.outcome).toBe('completed');
      const events = ctx.stack.emulators.scalekit.calendarEvents(identifier);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ summary: proposal!.title, description: proposal!.description, attendees: [] });
      expect(report.approval?.approved).toEqual([
        { id: proposal!.id, messageId: proposal!.messageId, eventId: events[0]!.id },
      ]);
      // A replayed decision is refused; the next sweep finds nothing new and books nothing.
      await expect(
        ctx.stack.inbox.decideProposals(identifier, { decision: 'deny', ids: [proposal!.id] }),
      ).rejects.toThrow(`no sweep of ${identifier} waits for a decision`);
      const next = await ctx.stack.startWorker();
      expect((await ctx.stack.inbox.sweep(identifier)).outcome).toBe('nothing_new');
      await next.stop();
      expect(ctx.stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    },
  );
});
