import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scheduledSweepWorkflowId, sweepWorkflowId, type SweepReport } from '../workflows/contract.js';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

/** The schedule's interval; the outage lasts `OUTAGE_INTERVALS` of them. */
const EVERY_MS = 1_000;
const OUTAGE_INTERVALS = 8;

describe('a worker outage over many schedule intervals (real worker, dev server, emulators)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('outage');
    const setup = await stack.startWorker();
    await stack.inbox.setup();
    await setup.stop();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('one sweep, not one per missed interval, when the worker comes back', { timeout: 90_000 }, async () => {
    const identifier = seedUser(stack);
    const sessions = () => stack.emulators.agents.control.calls('POST /v1/sessions');
    const before = sessions();
    // No worker: the schedule fires (Temporal runs it), its first run waits for a worker, and the
    // fires after it find that run still open.
    await stack.inbox.schedule(identifier, { every: `${EVERY_MS}ms`, catchupWindow: `${EVERY_MS}ms` });
    try {
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_INTERVALS * EVERY_MS));
      // The outage ends here: paused, so what is counted below is what the outage left behind,
      // not the next intervals' sweeps of a healthy worker.
      await stack.inbox.pauseSchedule(identifier, 'end of the outage');
      const during = await stack.inbox.describeSchedule(identifier);
      expect(during.actionsTaken).toBe(1);
      expect(during.skippedOverlap).toBeGreaterThanOrEqual(OUTAGE_INTERVALS - 3);

      await stack.startWorker();
      const tickets: string[] = [];
      const query = `WorkflowId STARTS_WITH '${scheduledSweepWorkflowId(identifier)}'`;
      for await (const execution of stack.temporal.client.workflow.list({ query })) tickets.push(execution.workflowId);
      expect(tickets).toHaveLength(1);
      const ticket: SweepReport = await stack.temporal.client.workflow.getHandle(tickets[0]!).result();
      expect(ticket.outcome).toBe('delegated');
      const report: SweepReport = await stack.temporal.client.workflow
        .getHandle(ticket.sweep!.workflowId, ticket.sweep!.runId)
        .result();
      expect(report.outcome).toBe('completed');

      const sweeps: string[] = [];
      await vi.waitFor(async () => {
        sweeps.length = 0;
        for await (const e of stack.temporal.client.workflow.list({
          query: `WorkflowId = '${sweepWorkflowId(identifier)}'`,
        })) {
          sweeps.push(e.runId);
        }
        expect(sweeps).toHaveLength(1);
      });
      expect(sessions() - before).toBe(1);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
      expect((await stack.inbox.describeSchedule(identifier)).actionsTaken).toBe(1);
    } finally {
      await stack.inbox.unschedule(identifier);
    }
  });
});
