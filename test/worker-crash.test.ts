import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryUserStateStore } from './helpers/memory-state.js';
import { BOOKED, seedUser } from './helpers/demo.js';
import { waitForStatus } from './helpers/wait.js';
import { killWorker, spawnWorker, workerProcessStack } from './helpers/worker-process.js';

describe('a worker killed during runAgentSession', () => {
  const ctx = workerProcessStack('crash');
  let child: ChildProcess | undefined;

  it('is replaced by another worker that finishes the same session', { timeout: 120_000 }, async () => {
    const identifier = seedUser(ctx.stack);
    ctx.stack.emulators.agents.setStepDelay(1_000);
    const spawned = spawnWorker(ctx.stack.workerEnv);
    child = spawned.child;

    const handle = await ctx.stack.inbox.startSweep(identifier);
    const sessionsBefore = new Set(ctx.stack.emulators.agents.sessions().map((s) => s.id));
    const session = await vi.waitFor(
      () => {
        const mine = ctx.stack.emulators.agents.sessions().filter((s) => !sessionsBefore.has(s.id));
        if (mine.length !== 1 || mine[0]!.events.length < 3)
          throw new Error(`no running session yet\n${spawned.output()}`);
        return mine[0]!;
      },
      { timeout: 60_000, interval: 100 },
    );
    // The running sweep reports its session through `status` (from the activity's first heartbeat,
    // sent at once; later progress is throttled, see session-lifecycle.test.ts) while it is going.
    const status = await waitForStatus(handle, (s) => s.sessionId === session.id && s.progress !== undefined);
    expect(status.phase).toBe('running_session');
    await killWorker(child);
    expect(ctx.stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);

    // The replacement, with empty local state of its own, picks the activity up once its heartbeat
    // times out, then re-attaches.
    ctx.stack.emulators.agents.setStepDelay(0);
    const state = new MemoryUserStateStore();
    await ctx.stack.startWorker({ ...ctx.stack.deps, state });
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.session?.sessionId).toBe(session.id);
    expect(report.session?.toolCalls).toEqual(BOOKED);
    expect(ctx.stack.emulators.agents.sessions().filter((s) => !sessionsBefore.has(s.id))).toHaveLength(1);
    expect(ctx.stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    // The task was sent once (the events route also carries the gate's tool confirmations).
    const sent = ctx.stack.emulators.agents.sessions().find((s) => s.id === session.id)!.events;
    expect(sent.filter((e) => e.type === 'user.message')).toHaveLength(1);
    // The ledger ends correct: the message maps to the one event, and the next sweep finds nothing new.
    const [message] = ctx.stack.emulators.scalekit.emails(identifier);
    const [event] = ctx.stack.emulators.scalekit.calendarEvents(identifier);
    expect(await state.handledAmong(identifier, [message!.id])).toMatchObject([
      { messageId: message!.id, disposition: 'event', eventId: event!.id },
    ]);
    expect((await ctx.stack.inbox.sweep(identifier)).outcome).toBe('nothing_new');
    expect(ctx.stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
  });

  it('on SIGTERM drains and exits 0', { timeout: 60_000 }, async () => {
    const { child: worker, output } = spawnWorker(ctx.stack.workerEnv);
    await vi.waitFor(() => expect(output()).toContain('inbox-agent worker started'), {
      timeout: 30_000,
      interval: 100,
    });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
