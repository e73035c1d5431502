import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { searchAttributes, sweepWorkflowId } from '../workflows/contract.js';
import { SCHEDULE_START_ACTIONS, scheduledTickCost } from '../bench/temporal-cost.js';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

/**
 * What one scheduled tick costs in Temporal (issue 18): every workflow the tick creates, counted from
 * the histories the server recorded, plus the schedule's own actions as Cloud bills them.
 */
describe('Temporal cost of a scheduled tick', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('cost');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('an idle tick: a ticket and the sweep, at most 6 actions (the schedule 2 of them) and 25 events', async () => {
    const identifier = seedUser(stack, {}, []);
    await stack.inbox.schedule(identifier, { every: '1 hour' });
    try {
      const tick = await scheduledTickCost(stack.temporal.client, stack.inbox, identifier);
      console.log(`idle scheduled tick: ${JSON.stringify(tick)}`);
      expect(tick.outcome).toBe('nothing_new');
      expect(tick.workflows.map((w) => w.workflowId)).toEqual([
        expect.stringMatching(/\/@schedule-/),
        sweepWorkflowId(identifier),
      ]);
      // Ticket: its start, one local activity (start the sweep). Sweep: its start, one workflow task of
      // local activities (check, mint, read). No search-attribute upsert: both started with theirs.
      expect(tick.actions - SCHEDULE_START_ACTIONS).toBeLessThanOrEqual(4);
      expect(tick.actions).toBeLessThanOrEqual(6);
      expect(tick.events).toBeLessThanOrEqual(25);

      // The idle sweep wrote no attribute, yet lists as it ended.
      const sweep = await stack.temporal.client.workflow.getHandle(sweepWorkflowId(identifier)).describe();
      expect(sweep.status.name).toBe('COMPLETED');
      expect(sweep.typedSearchAttributes.get(searchAttributes.outcome)).toBe('nothing_new');
      await vi.waitFor(
        async () => {
          const { sweeps } = await stack.inbox.listSweeps({ identifier });
          expect(sweeps.map((s) => [s.workflowId, s.outcome])).toEqual([[sweepWorkflowId(identifier), 'nothing_new']]);
        },
        { timeout: 10_000, interval: 200 },
      );
    } finally {
      await stack.inbox.unschedule(identifier);
    }
  });
});
