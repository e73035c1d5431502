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

  it('an idle tick ends in its ticket: at most 5 actions (the schedule 3 of them, the ticket start included) and 25 events', async () => {
    const identifier = seedUser(stack, {}, []);
    await stack.inbox.schedule(identifier, { every: '1 hour' });
    try {
      const tick = await scheduledTickCost(stack.temporal.client, stack.inbox, identifier);
      console.log(`idle scheduled tick: ${JSON.stringify(tick)}`);
      expect(tick.outcome).toBe('nothing_new');
      // The ticket looked (check, mint, read: one workflow task of local activities) and found
      // nothing: no second workflow.
      expect(tick.workflows.map((w) => w.workflowId)).toEqual([expect.stringMatching(/\/@schedule-/)]);
      await expect(stack.temporal.client.workflow.getHandle(sweepWorkflowId(identifier)).describe()).rejects.toThrow(
        /not found/i,
      );
      expect(tick.actions).toBeLessThanOrEqual(5);
      expect(tick.events).toBeLessThanOrEqual(25);
      const ticket = await stack.temporal.client.workflow.getHandle(tick.workflows[0]!.workflowId).describe();
      expect(ticket.typedSearchAttributes.get(searchAttributes.outcome)).toBe('nothing_new');
    } finally {
      await stack.inbox.unschedule(identifier);
    }
  });

  it('a tick with new mail starts the sweep, which handles it', async () => {
    const identifier = seedUser(stack);
    await stack.inbox.schedule(identifier, { every: '1 hour' });
    try {
      const tick = await scheduledTickCost(stack.temporal.client, stack.inbox, identifier);
      console.log(`new-mail scheduled tick: ${JSON.stringify(tick)}`);
      expect(tick.outcome).toBe('completed');
      expect(tick.workflows.map((w) => w.workflowId)).toEqual([
        expect.stringMatching(/\/@schedule-/),
        sweepWorkflowId(identifier),
      ]);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    } finally {
      await stack.inbox.unschedule(identifier);
    }
  });
});
