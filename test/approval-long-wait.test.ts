import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Notice } from '../activities/notify.js';
import { sweepWorkflowId, type SweepStatus } from '../workflows/contract.js';
import { startConsentStack, type ConsentStack } from './helpers/consent.js';
import { CONTRACT_EMAIL, INVOICE_EMAIL, seedUser } from './helpers/demo.js';
import { workflowBundle } from './helpers/temporal.js';
import { waitForStatus } from './helpers/wait.js';

/** A budget the sweep has spent by the time its approval wait starts (its short calls are local activities now, a marker each); the product's is 2,000 events. */
const BUDGET = 15;

describe('an approval wait keeps its history bounded (real worker, dev server, emulators, callback)', () => {
  let stack: ConsentStack;

  beforeAll(async () => {
    stack = await startConsentStack('approval-long-wait');
    await stack.startWorker(stack.deps, undefined, {
      workflowBundle: await workflowBundle({ historyEventBudget: BUDGET }),
    });
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(
    'continues as new while proposals wait: the link signed before the boundary books once after it, the deadline is kept',
    { timeout: 150_000 },
    async () => {
      const identifier = seedUser(stack, {}, [INVOICE_EMAIL, CONTRACT_EMAIL]);
      await stack.inbox.userSettings(identifier, { approval: 'ask' });
      const handle = await stack.inbox.startSweep(identifier, { approvalTimeout: '40 seconds' });
      const before = await waitForStatus(
        handle,
        (s) => s.phase === 'awaiting_approval' && s.proposals?.length === 2,
        40_000,
      );
      const [invoice, contract] = before.proposals!;
      const notice = await vi.waitFor(
        () => {
          const found = stack.webhook
            .delivered(identifier)
            .find(
              (r) =>
                (r.notice as Notice).event === 'approval.needed' &&
                (r.notice as unknown as { proposal: { id: string } }).proposal.id === invoice!.id,
            );
          if (!found) throw new Error('no approval notice yet');
          return found.notice as unknown as { approveLink: string };
        },
        { timeout: 20_000 },
      );

      // The wait crossed the budget: a later run under the same workflow id holds the proposals.
      const runs = async () => {
        const seen: string[] = [];
        for await (const e of stack.temporal.client.workflow.list({
          query: `WorkflowId = '${sweepWorkflowId(identifier)}'`,
        })) {
          seen.push(e.runId);
        }
        return seen;
      };
      await vi.waitFor(async () => expect((await runs()).length).toBeGreaterThanOrEqual(2), {
        timeout: 30_000,
        interval: 200,
      });
      const status = async (): Promise<SweepStatus> => (await stack.inbox.status(identifier))[0]!.status;
      await vi.waitFor(
        async () =>
          expect(await status()).toMatchObject({
            phase: 'awaiting_approval',
            approvalDeadline: before.approvalDeadline,
            proposals: [
              { id: invoice!.id, state: 'pending' },
              { id: contract!.id, state: 'pending' },
            ],
          }),
        { timeout: 10_000, interval: 100 },
      );
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);

      // The link signed by the first run decides on the latest one.
      const post = (url: string) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      expect((await post(notice.approveLink)).status).toBe(200);
      await vi.waitFor(() => expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1), {
        timeout: 30_000,
      });
      expect((await post(notice.approveLink)).status).toBe(409);

      // The other proposal runs out at the deadline the first run set, not one a later run restarted.
      const report = await handle.result();
      expect(report.outcome).toBe('completed');
      const events = stack.emulators.scalekit.calendarEvents(identifier);
      expect(events).toHaveLength(1);
      expect(report.approval).toEqual({
        approved: [{ id: invoice!.id, messageId: invoice!.messageId, eventId: events[0]!.id }],
        denied: [
          { id: contract!.id, messageId: contract!.messageId, reason: `no decision by ${before.approvalDeadline}` },
        ],
        timedOut: true,
      });
      expect(await stack.deps.state.handledAmong(identifier, [invoice!.messageId, contract!.messageId])).toMatchObject([
        { disposition: 'event', eventId: events[0]!.id },
        { disposition: 'denied' },
      ]);
      const all = await runs();
      expect(all.length).toBeGreaterThanOrEqual(2);
      for (const runId of all) {
        const history = await stack.temporal.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
        // Checked between steps of the wait, so a run ends within one step (a decision carried out) past it.
        expect(history.events!.length).toBeLessThan(BUDGET + 40);
      }
    },
  );
});
