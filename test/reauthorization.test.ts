import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INVOICE_EMAIL, seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';
import { followMagicLink, waitForStatus } from './helpers/wait.js';
import { WorkflowFailedError } from '@temporalio/client';
import { ErrorType, searchAttributes } from '../workflows/contract.js';
import { uniqueName } from './helpers/temporal.js';

describe('re-authorization pause', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('reauth');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('waits with a link, stays waiting on a premature signal, and resumes once the user re-authorizes', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });

    const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    expect(waiting.inactiveConnections).toEqual(['gmail']);
    expect(waiting.waitingBecause).toBe('gmail not active');
    expect(waiting.authLinks).toHaveLength(1);
    expect(waiting.authLinks[0]!.connection).toBe('gmail');
    expect(waiting.authLinks[0]!.createdAt).toBeTruthy();
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
    // What the Web UI shows as the run's current details.
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    expect(metadata.currentDetails).toContain('Waiting for re-authorization');
    expect(metadata.currentDetails).toContain(waiting.authLinks[0]!.url);
    // Nothing is minted while the user is away: the mint asked for beside the first check was refused
    // (Scalekit mints for active connections only), and neither the wait nor its re-checks ask again.
    const mints = () => stack.emulators.scalekit.control.calls('POST /api/v1/mcp/configs/:config_id/tokens');
    expect(mints()).toBeLessThanOrEqual(1);
    const mintsBeforeWaiting = mints();

    // A signal while gmail is still expired: re-checked, still waiting, with a fresh link.
    expect(await stack.inbox.reauthorized(identifier, { workflowId: handle.workflowId })).toEqual([handle.workflowId]);
    const still = await waitForStatus(handle, (s) => s.reauthSignals === 1 && s.phase === 'awaiting_reauthorization');
    await vi.waitFor(async () => {
      const again = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
      expect(again.authLinks[0]!.url).not.toBe(waiting.authLinks[0]!.url);
    });
    expect(still.inactiveConnections).toEqual(['gmail']);
    expect(mints()).toBe(mintsBeforeWaiting);

    const confirmed = await followMagicLink((await waitForStatus(handle, () => true)).authLinks[0]!.url);
    expect(confirmed.status).toBe(200);
    await stack.inbox.reauthorized(identifier, { workflowId: handle.workflowId, note: 'test clicked the link' });

    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.reauthWaits).toBe(2);
    const events = stack.emulators.scalekit.calendarEvents(identifier);
    expect(events.map((e) => e.summary)).toEqual([`Action Required: ${INVOICE_EMAIL.subject}`]);
  });

  it('a signal that arrives while a re-check is running is not lost', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const accounts = 'POST /api/v1/mcp/configs/:config_id/connected_accounts';
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
    await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    const checksBefore = stack.emulators.scalekit.control.calls(accounts);

    // The re-check after the first signal is slow; the second signal lands while it runs.
    stack.emulators.scalekit.control.inject({ route: accounts, latencyMs: 1500, times: 1 });
    await stack.inbox.reauthorized(identifier, { workflowId: handle.workflowId });
    await vi.waitFor(() => expect(stack.emulators.scalekit.control.calls(accounts)).toBe(checksBefore + 1));
    await stack.inbox.reauthorized(identifier, { workflowId: handle.workflowId });

    // The second signal wakes the wait at once: a third check, with no third signal.
    await vi.waitFor(() => expect(stack.emulators.scalekit.control.calls(accounts)).toBe(checksBefore + 2), {
      timeout: 10_000,
    });
    stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
    await stack.inbox.reauthorized(identifier, { workflowId: handle.workflowId });
    await expect(handle.result()).resolves.toMatchObject({ outcome: 'completed', reauthWaits: 3 });
  });

  it('ends with the reauth_timed_out outcome, which operators can filter on', async () => {
    const identifier = seedUser(stack, { googlecalendar: 'EXPIRED' });
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '2 seconds' });
    const report = await handle.result();
    expect(report.outcome).toBe('reauth_timed_out');
    expect(report.session).toBeUndefined();
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);

    const query = `${searchAttributes.outcome.name} = 'reauth_timed_out' AND ${searchAttributes.identifier.name} = '${identifier}'`;
    await vi.waitFor(
      async () => {
        const found = [];
        for await (const execution of stack.temporal.client.workflow.list({ query })) found.push(execution.workflowId);
        expect(found).toEqual([handle.workflowId]);
      },
      { timeout: 10_000, interval: 200 },
    );
  });

  it('a connection that expires between check and mint sends the sweep back to waiting', async () => {
    const identifier = seedUser(stack);
    // The check sees ACTIVE; the user revokes access while the mint is under way, so it is refused.
    const tokens = 'POST /api/v1/mcp/configs/:config_id/tokens';
    const mintsBefore = stack.emulators.scalekit.control.calls(tokens);
    stack.emulators.scalekit.control.inject({
      route: tokens,
      status: 400,
      errorCode: 'CONNECTED_ACCOUNT_NOT_ACTIVE',
      latencyMs: 500,
      times: 1,
    });
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
    await vi.waitFor(() => expect(stack.emulators.scalekit.control.calls(tokens)).toBeGreaterThan(mintsBefore));
    stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'EXPIRED');
    const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    expect(waiting.waitingBecause).toMatch(/refused a session token/);
    stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
    await stack.inbox.reauthorized(identifier, { workflowId: handle.workflowId });
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.reauthWaits).toBe(1);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
  });

  it('a sweep with no user behind the identifier still never fails the workflow for inactivity', async () => {
    const handle = await stack.inbox.startSweep('nobody-here', { reauthTimeout: '1 second' });
    await expect(handle.result()).resolves.toMatchObject({ outcome: 'reauth_timed_out' });
  });

  it('rejects bad input before anything starts', async () => {
    await expect(stack.inbox.startSweep('not an id')).rejects.toThrow(/invalid identifier/);
    await expect(stack.inbox.startSweep('u1', { reauthTimeout: 'soon' })).rejects.toThrow(/invalid reauthTimeout/);
    await expect(stack.inbox.startSweep('u1', { sessionTimeout: '30 hours' })).rejects.toThrow(/sessionTimeout/);
  });

  it('a starter that bypasses the client gets a failed run with a typed cause, not a stuck one', async () => {
    for (const input of [{ identifier: 'not an id' }, { identifier: 'u1', reauthTimeout: 'whenever' }]) {
      const handle = await stack.temporal.client.workflow.start('inboxSweep', {
        taskQueue: stack.taskQueue,
        workflowId: uniqueName('raw-start'),
        args: [input],
      });
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toMatchObject({ type: ErrorType.InvalidRequest, nonRetryable: true });
    }
  });
});
