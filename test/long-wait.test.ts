import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sweepWorkflowId, type SweepStatus } from '../workflows/contract.js';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';
import { workflowBundle } from './helpers/temporal.js';

/** A budget a wait crosses within seconds; the product's is 2,000 events (workflows/limits.ts). */
const BUDGET = 60;

describe('a long wait keeps its history bounded (real worker, dev server, emulators)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('long-wait');
    await stack.startWorker(undefined, undefined, {
      workflowBundle: await workflowBundle({ historyEventBudget: BUDGET }),
    });
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(
    'the wait continues as new past the budget: same id, status, deadline and cadence; the signal still wakes it',
    { timeout: 120_000 },
    async () => {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      const handle = await stack.inbox.startSweep(identifier, {
        reauthTimeout: '10 minutes',
        recheckEvery: '300ms',
        remindEvery: '1 hour',
      });
      const status = async (): Promise<SweepStatus> => (await stack.inbox.status(identifier))[0]!.status;
      const before = await vi.waitFor(
        async () => {
          const s = await status();
          expect(s.phase).toBe('awaiting_reauthorization');
          return s;
        },
        { timeout: 20_000, interval: 100 },
      );
      await stack.inbox.reauthorized(identifier, { note: 'a signal before the boundary' });

      // Two boundaries crossed: a third run, under the same workflow id, each history within the budget.
      const runs = await vi.waitFor(
        async () => {
          const seen: string[] = [];
          for await (const e of stack.temporal.client.workflow.list({
            query: `WorkflowId = '${sweepWorkflowId(identifier)}'`,
          })) {
            seen.push(e.runId);
          }
          expect(seen.length).toBeGreaterThanOrEqual(3);
          return seen;
        },
        { timeout: 60_000, interval: 250 },
      );
      for (const runId of runs) {
        const events = (await stack.temporal.client.workflow.getHandle(handle.workflowId, runId).fetchHistory())
          .events!;
        // The budget is checked between re-checks, so a run ends within one re-check past it.
        expect(events.length).toBeLessThan(BUDGET + 20);
      }

      // The operator sees the same wait: deadline, since when, links; the signal count carried.
      // (Between re-checks: a re-check itself shows `checking_connections` for a moment.)
      await vi.waitFor(
        async () =>
          expect(await status()).toMatchObject({
            phase: 'awaiting_reauthorization',
            reauthDeadline: before.reauthDeadline,
            waitingSince: before.waitingSince,
            inactiveConnections: ['gmail'],
            reauthSignals: 1,
          }),
        { timeout: 10_000, interval: 50 },
      );
      await vi.waitFor(
        async () => {
          const listed = (await stack.inbox.listSweeps({ running: true })).sweeps;
          expect(listed.filter((s) => s.identifier === identifier)).toMatchObject([
            { workflowId: sweepWorkflowId(identifier) },
          ]);
        },
        { timeout: 10_000, interval: 100 },
      );
      expect((await stack.inbox.status(identifier)).length).toBe(1);

      // The `reauthorized` signal reaches the latest run (as the callback sends it: by workflow id).
      stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
      expect(await stack.inbox.reauthorized(identifier, { note: 'consent given' })).toEqual([handle.workflowId]);
      const report = await handle.result();
      expect(report.outcome).toBe('completed');
      expect(report.reauthWaits).toBeGreaterThanOrEqual(3);
      expect(report.startedAt).toBe(
        (
          await stack.temporal.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe()
        ).startTime.toISOString(),
      );
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    },
  );
});
