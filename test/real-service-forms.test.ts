import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { enabledTools, MCP_SERVER_NAME } from '../activities/definitions.js';
import { WORKER_USER_AGENT } from '../activities/apis/mcp.js';
import { ErrorType } from '../workflows/contract.js';
import { DEFAULT_SAMPLES } from '@inbox-agent/emulators/scalekit/samples';
import { BOOKED, INVOICE_EMAIL, seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';
import { waitForStatus } from './helpers/wait.js';

/**
 * The product's key flows against each form of the undocumented Scalekit answers the evidence allows
 * (emulators/scalekit/samples.ts, shared/specs/real-service-evidence.md B9, B12, D4, A5).
 */
/** The Virtual MCP server's route in the emulator's counters and faults. */
const MCP = 'POST /mcp/v3/servers/:server_id';

describe('undocumented Scalekit answers, each alternative form', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('forms');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterEach(() => stack.emulators.scalekit.configure(DEFAULT_SAMPLES));
  afterAll(async () => {
    await stack?.close();
  });

  it('lower-case connected_account_status: the sweep proceeds and books the event', async () => {
    stack.emulators.scalekit.configure({ statusCase: 'lower' });
    const identifier = seedUser(stack);
    const report = await stack.inbox.sweep(identifier);
    expect(report.outcome).toBe('completed');
    expect(stack.emulators.scalekit.calendarEvents(identifier).map((e) => e.summary)).toEqual([
      `Action Required: ${INVOICE_EMAIL.subject}`,
    ]);
  });

  it('lower-case status of an expired account: the sweep waits for consent', async () => {
    stack.emulators.scalekit.configure({ statusCase: 'lower' });
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
    const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    expect(waiting.inactiveConnections).toEqual(['gmail']);
    await handle.terminate('test done');
  });

  const tokens = 'POST /api/v1/mcp/configs/:config_id/tokens';
  for (const code of ['CONNECTED_ACCOUNT_NOT_ACTIVE', 'FAILED_PRECONDITION', 'INVALID_ARGUMENT', 'none'] as const) {
    it(`a mint refused with ${code} while a connection went inactive: the sweep waits for consent`, async () => {
      stack.emulators.scalekit.configure({ mintRefusalCode: code });
      const identifier = seedUser(stack);
      // The check sees both ACTIVE; gmail expires while the mint is on its way.
      const before = stack.emulators.scalekit.control.calls(tokens);
      stack.emulators.scalekit.control.inject({ route: tokens, latencyMs: 1500, times: 1 });
      const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
      await vi.waitFor(() => expect(stack.emulators.scalekit.control.calls(tokens)).toBe(before + 1), {
        timeout: 20_000,
      });
      stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'EXPIRED');
      // The mint's refusal sends the sweep back to the wait for consent, not to a failure.
      const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
      expect(waiting.waitingBecause).toMatch(/refused a session token/);
      await handle.terminate('test done');
    });
  }

  // D6: the tool error an account no longer ACTIVE gives; the worker's own read meets it when the
  // user revokes access after the mint, before the read.
  for (const inactiveToolError of ['status', 'not_connected'] as const) {
    it(`a tool error worded as ${inactiveToolError} on the worker's read: the sweep waits for consent, then completes`, async () => {
      stack.emulators.scalekit.configure({ inactiveToolError });
      const identifier = seedUser(stack);
      const mcpBefore = stack.emulators.scalekit.control.calls(MCP);
      // The read is held a moment: long enough to revoke access after the session to MCP opened.
      stack.emulators.scalekit.control.inject({
        route: MCP,
        userAgent: WORKER_USER_AGENT,
        tool: 'gmail_fetch_mails',
        latencyMs: 1500,
        times: 1,
      });
      const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
      await vi.waitFor(() => expect(stack.emulators.scalekit.control.calls(MCP)).toBeGreaterThan(mcpBefore), {
        timeout: 10_000,
        interval: 20,
      });
      stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'EXPIRED');
      // An unrecognised wording would be retried as a tool failure for ten minutes, never waiting.
      await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
      const history = JSON.stringify((await handle.fetchHistory()).events);
      // The read failed typed (its message is encrypted in history); the mint before it had succeeded.
      expect(history).toMatch(/"applicationFailureInfo":\{"type":"ConnectionInactive","nonRetryable":true\}/);
      stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
      await stack.inbox.reauthorized(identifier, { workflowId: handle.workflowId });
      const report = await handle.result();
      expect(report).toMatchObject({ outcome: 'completed', reauthWaits: 1 });
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    });
  }

  it('a reshaped gmail_fetch_mails answer (no output schema declared) fails the sweep typed, never nothing_new', async () => {
    stack.emulators.scalekit.configure({ gmailOutput: 'flat', outputSchemas: 'none' });
    const identifier = seedUser(stack);
    const err = await stack.inbox.sweep(identifier).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    // The workflow fails with the activity's failure, whose cause is the typed one.
    const cause = (err as WorkflowFailedError).cause?.cause as Error | undefined;
    expect(cause).toMatchObject({ type: ErrorType.UnexpectedServiceAnswer, nonRetryable: true });
    expect(cause?.message).toMatch(/gmail_fetch_mails answered in an unexpected shape: messages/);
    expect(cause?.message).not.toContain(INVOICE_EMAIL.subject);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toEqual([]);
  });
});

describe('a Virtual MCP server that prefixes its tool names', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('prefixed');
    stack.emulators.scalekit.configure({ toolNamePrefix: 'scalekit_' });
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('the first sweep learns the names from tools/list; the agent gets exactly its three tools and books the event', async () => {
    const identifier = seedUser(stack);
    const report = await stack.inbox.sweep(identifier);
    expect(report.outcome).toBe('completed');
    expect(report.session?.toolCalls).toEqual(BOOKED.map((t) => `scalekit_${t}`));
    // The gate judged them by those names (create_event and the held read), and the event is recorded.
    expect(report.session?.toolDecisions?.map((d) => [d.tool, d.decision])).toEqual([
      ['scalekit_gmail_fetch_mails', 'allow'],
      ['scalekit_googlecalendar_create_event', 'allow'],
    ]);
    expect(report.messages?.events).toHaveLength(1);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);

    const agents = [];
    for await (const agent of stack.deps.managedAgents.listAgents()) agents.push(agent);
    expect(agents).toHaveLength(1);
    expect(enabledTools(agents[0]!.tools)).toEqual(BOOKED.map((t) => `${MCP_SERVER_NAME}:scalekit_${t}`).sort());
    // A setup afterwards keeps the learned names.
    expect((await stack.inbox.setup()).created.agentUpdated).toBe(false);
  });
});
