import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AGENT_USER_AGENT } from '@inbox-agent/emulators/managed-agents/mcp-client';
import type { SeedEmail } from '@inbox-agent/emulators/scalekit';
import { InvalidInputError } from '../client/index.js';
import { scheduledSweepWorkflowId, sweepWorkflowId, type SweepReport } from '../workflows/contract.js';
import { INVOICE_EMAIL, seedUser, vaultsOf } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';
import { waitForStatus } from './helpers/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

const email = (n: number, extra: Partial<SeedEmail> = {}): SeedEmail => ({
  from: `Colleague ${n} <c${n}@acme.example>`,
  subject: `Request ${n}`,
  body: `Please review item ${n} by Friday. It blocks the release.`,
  // Oldest first: request 1 arrived first.
  receivedAt: new Date(Date.UTC(2026, 0, 1, 0, n)),
  ...extra,
});

const MCP = 'POST /mcp/v3/servers/:server_id';
/** As the emulated Virtual MCP server names it (no prefix by default, emulators/scalekit/samples.ts). */
const CREATE_EVENT = 'googlecalendar_create_event';

describe('recurring sweeps: the ledger, the cap, no-action mail and one sweep per user', () => {
  let stack: TestStack;
  const sessionsCreated = () => stack.emulators.agents.control.calls('POST /v1/sessions');
  const anthropicCalls = () => stack.emulators.agents.control.calls();
  const vaultWrites = () =>
    stack.emulators.agents.control.calls('POST /v1/vaults/:vault_id/credentials/:credential_id') +
    stack.emulators.agents.control.calls('POST /v1/vaults/:vault_id/credentials') +
    stack.emulators.agents.control.calls('POST /v1/vaults');
  const titles = (identifier: string) => stack.emulators.scalekit.calendarEvents(identifier).map((e) => e.summary);
  const idsOf = (identifier: string) => stack.emulators.scalekit.emails(identifier).map((m) => m.id);

  beforeAll(async () => {
    stack = await startTestStack('recurring');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('three sweeps over an unchanged inbox: one session, then nothing_new with no session and no vault write', async () => {
    const identifier = seedUser(stack, {}, [email(1), email(2)]);
    const first = await stack.inbox.sweep(identifier);
    expect(first.outcome).toBe('completed');
    expect(first.sessions).toBe(1);
    expect(titles(identifier)).toEqual(['Action Required: Request 1', 'Action Required: Request 2']);
    const events = stack.emulators.scalekit.calendarEvents(identifier);
    const [id1, id2] = idsOf(identifier);
    expect(events[0]!.description).toContain(`inbox-agent-message-id: ${id1}`);
    expect(first.messages?.events).toEqual([
      { messageId: id1, eventId: events[0]!.id },
      { messageId: id2, eventId: events[1]!.id },
    ]);
    const ledger = await stack.deps.state.handledAmong(identifier, [id1!, id2!]);
    expect(ledger.map((h) => [h.messageId, h.disposition, h.eventId])).toEqual([
      [id1, 'event', events[0]!.id],
      [id2, 'event', events[1]!.id],
    ]);

    for (let i = 0; i < 2; i += 1) {
      const before = {
        sessions: sessionsCreated(),
        anthropic: anthropicCalls(),
        vault: vaultWrites(),
        mcp: stack.emulators.scalekit.control.calls(MCP),
        scalekit: stack.emulators.scalekit.control.calls(),
      };
      const again = await stack.inbox.sweep(identifier);
      expect(again.outcome).toBe('nothing_new');
      expect(again.sessions).toBe(0);
      expect(again.session).toBeUndefined();
      expect(sessionsCreated() - before.sessions).toBe(0);
      expect(vaultWrites() - before.vault).toBe(0);
      // One listing of the user's sessions, to end any a terminated run left behind (its agent may
      // still be booking); no session, no vault write, nothing paid.
      expect(anthropicCalls() - before.anthropic).toBe(1);
      const mcp = stack.emulators.scalekit.control.calls(MCP) - before.mcp;
      const scalekit = stack.emulators.scalekit.control.calls() - before.scalekit;
      // initialize, initialized, one gmail_fetch_mails; plus the connection check and the mint.
      expect(mcp).toBe(3);
      console.log(
        `idle sweep: ${scalekit} Scalekit calls (${mcp} MCP), 1 Anthropic call (a session listing), 0 sessions`,
      );
    }
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(2);
  });

  it('three e-mails arriving between sweeps get three events in one session', async () => {
    const identifier = seedUser(stack, {}, [email(1)]);
    await stack.inbox.sweep(identifier);
    for (const n of [2, 3, 4]) stack.emulators.scalekit.addEmail(identifier, email(n));
    const sessions = sessionsCreated();
    const report = await stack.inbox.sweep(identifier);
    expect(report.outcome).toBe('completed');
    expect(sessionsCreated() - sessions).toBe(1);
    expect(report.messages?.events).toHaveLength(3);
    expect(titles(identifier)).toEqual([1, 2, 3, 4].map((n) => `Action Required: Request ${n}`));
  });

  it('seven unhandled e-mails with a cap of 5: the five oldest now, the other two next sweep', async () => {
    const identifier = seedUser(
      stack,
      {},
      [7, 3, 5, 1, 6, 2, 4].map((n) => email(n)),
    );
    const first = await stack.inbox.sweep(identifier);
    expect(first.outcome).toBe('completed');
    expect(first.messages?.remaining).toBe(2);
    expect([...titles(identifier)].sort()).toEqual([1, 2, 3, 4, 5].map((n) => `Action Required: Request ${n}`));
    const second = await stack.inbox.sweep(identifier, { maxEmails: 5 });
    expect(second.messages?.events).toHaveLength(2);
    expect(second.messages?.remaining).toBe(0);
    expect([...titles(identifier)].sort()).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `Action Required: Request ${n}`));
    expect((await stack.inbox.sweep(identifier)).outcome).toBe('nothing_new');
  });

  // Faults are placed by tool, not by the call's position: the worker's own MCP calls and the tool
  // gate's one turn per message move positions, never which create is the second one.
  it('a failed tool call that leaves a message without its event: partial, the handled one recorded, the other left for the next sweep', async () => {
    const identifier = seedUser(stack, {}, [email(1), email(2)]);
    // The agent's second create fails (one turn per message, oldest first: message 2's).
    stack.emulators.scalekit.control.inject({
      route: MCP,
      userAgent: AGENT_USER_AGENT,
      tool: CREATE_EVENT,
      skip: 1,
      times: 1,
      status: 500,
    });
    const report = await stack.inbox.sweep(identifier);
    expect(report.session?.toolErrors).toBe(1);
    expect(report.outcome).toBe('partial');
    const [id1, id2] = idsOf(identifier);
    expect(report.messages?.events.map((e) => e.messageId)).toEqual([id1]);
    expect(report.messages?.unhandled).toEqual([id2]);
    expect(titles(identifier)).toEqual(['Action Required: Request 1']);
    const next = await stack.inbox.sweep(identifier);
    expect(next.outcome).toBe('completed');
    expect(titles(identifier)).toEqual(['Action Required: Request 1', 'Action Required: Request 2']);
  });

  it('a tool call that failed after its work was done: the event exists, so the sweep is completed', async () => {
    const identifier = seedUser(stack, {}, [email(1)]);
    // The agent's create books the event, but its answer is lost.
    stack.emulators.scalekit.control.inject({
      route: MCP,
      userAgent: AGENT_USER_AGENT,
      tool: CREATE_EVENT,
      times: 1,
      status: 500,
      afterWork: true,
    });
    const report = await stack.inbox.sweep(identifier);
    expect(report.session?.toolErrors).toBe(1);
    expect(report.outcome).toBe('completed');
    expect(report.messages?.events.map((e) => e.messageId)).toEqual(idsOf(identifier));
    expect(titles(identifier)).toEqual(['Action Required: Request 1']);
  });

  it('a no-reply or bulk sender is recorded as no_action with no event; the guide mode books it anyway', async () => {
    const newsletter = email(2, {
      from: 'Acme News <news@acme.example>',
      subject: 'Our November newsletter',
      headers: { 'List-Unsubscribe': '<mailto:unsubscribe@acme.example>' },
    });
    const noreply = email(3, { from: 'Builds <no-reply@ci.example>', subject: 'Build 812 passed' });
    const identifier = seedUser(stack, {}, [email(1), newsletter, noreply]);
    const report = await stack.inbox.sweep(identifier);
    expect(report.outcome).toBe('completed');
    const [id1, id2, id3] = idsOf(identifier);
    expect(report.messages?.noAction).toEqual([id2, id3]);
    expect(titles(identifier)).toEqual(['Action Required: Request 1']);
    const ledger = await stack.deps.state.handledAmong(identifier, [id1!, id2!, id3!]);
    expect(ledger.map((h) => h.disposition)).toEqual(['event', 'no_action', 'no_action']);
    expect((await stack.inbox.sweep(identifier)).outcome).toBe('nothing_new');

    const guide = seedUser(stack, {}, [email(1), newsletter, noreply]);
    const booked = await stack.inbox.sweep(guide, { eventForEveryEmail: true });
    expect(booked.outcome).toBe('completed');
    expect(booked.messages?.noAction).toEqual([]);
    expect(titles(guide)).toEqual([
      'Action Required: Request 1',
      'Action Required: Our November newsletter',
      'Action Required: Build 812 passed',
    ]);
  });

  it("the agent applies the no-action rule the worker's task states: a newsletter without bulk headers gets none", async () => {
    // No header or sender the worker's own rules know (activities/bulk-mail.ts): it reaches the agent,
    // whose emulated model reads its judgement from the task (emulators/managed-agents/task.ts), so a
    // task that no longer names newsletters books an event for it and this test fails.
    const newsletter = email(2, { from: 'Acme Team <team@acme.example>', subject: 'Our November newsletter' });
    const identifier = seedUser(stack, {}, [email(1), newsletter]);
    const report = await stack.inbox.sweep(identifier);
    expect(report.outcome).toBe('completed');
    const [id1, id2] = idsOf(identifier);
    expect(report.session?.reportedNoAction).toEqual([id2]);
    expect(report.messages?.noAction).toEqual([id2]);
    expect(titles(identifier)).toEqual(['Action Required: Request 1']);
    expect((await stack.deps.state.handledAmong(identifier, [id1!, id2!])).map((h) => h.disposition)).toEqual([
      'event',
      'no_action',
    ]);
  });

  it.each(['gmail', 'googlecalendar'])(
    'consent to %s revoked mid-session: not completed, nothing handled, the next sweep after re-authorization handles it',
    async (connection) => {
      const identifier = seedUser(stack);
      stack.emulators.agents.setStepDelay(300);
      const sessions = sessionsCreated();
      try {
        const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '2s' });
        await vi.waitFor(() => expect(sessionsCreated()).toBeGreaterThan(sessions), { timeout: 20_000, interval: 20 });
        stack.emulators.scalekit.setConnectionStatus(identifier, connection, 'EXPIRED');
        const report = await handle.result();
        expect(report.outcome).toBe('reauth_timed_out');
        expect(report.session?.toolErrors).toBeGreaterThan(0);
        expect(report.messages?.events).toEqual([]);
        expect(report.messages?.unhandled).toHaveLength(1);
        expect(await stack.deps.state.handledAmong(identifier, idsOf(identifier))).toEqual([]);
        expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
      } finally {
        stack.emulators.agents.setStepDelay(0);
      }
      stack.emulators.scalekit.setConnectionStatus(identifier, connection, 'ACTIVE');
      const next = await stack.inbox.sweep(identifier);
      expect(next.outcome).toBe('completed');
      expect(titles(identifier)).toEqual([`Action Required: ${INVOICE_EMAIL.subject}`]);
    },
  );

  it('a sweep whose session met revoked consent waits, and after re-authorization handles the e-mail itself', async () => {
    const identifier = seedUser(stack);
    stack.emulators.agents.setStepDelay(300);
    const sessions = sessionsCreated();
    let handle;
    try {
      handle = await stack.inbox.startSweep(identifier);
      await vi.waitFor(() => expect(sessionsCreated()).toBeGreaterThan(sessions), { timeout: 20_000, interval: 20 });
      stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'EXPIRED');
      await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    } finally {
      stack.emulators.agents.setStepDelay(0);
    }
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
    stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
    await stack.inbox.reauthorized(identifier);
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.sessions).toBe(2);
    expect(report.reauthWaits).toBe(1);
    expect(titles(identifier)).toEqual([`Action Required: ${INVOICE_EMAIL.subject}`]);
  });

  it('concurrent starts from the client, the CLI and a schedule: one sweep, one session, one event', async () => {
    const identifier = seedUser(stack);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...stack.clientEnv };
    const cli = async () => {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'client/cli.ts', '--json', 'sweep', identifier],
        {
          cwd: root,
          env,
          timeout: 60_000,
        },
      );
      return JSON.parse(stdout) as { workflowId: string; runId: string };
    };
    const sessions = sessionsCreated();
    // Holds the sweep's session open until every start is in, however slowly the CLI boots.
    stack.emulators.agents.setStepDelay(2_000);
    const schedule = await stack.inbox.schedule(identifier, { every: '1 day', paused: true });
    try {
      const starts = await Promise.all([
        ...[1, 2, 3].map(() => stack.inbox.startSweep(identifier)),
        ...[1, 2].map(() => cli()),
        schedule.trigger().then(() => undefined),
      ]);
      stack.emulators.agents.setStepDelay(0);
      const runs = starts.flatMap((s) =>
        s ? [{ workflowId: s.workflowId, runId: 'firstExecutionRunId' in s ? s.firstExecutionRunId : s.runId }] : [],
      );
      expect(new Set(runs.map((r) => r.workflowId))).toEqual(new Set([sweepWorkflowId(identifier)]));
      expect(new Set(runs.map((r) => r.runId)).size).toBe(1);

      const ticketId = await vi.waitFor(
        async () => {
          const query = `WorkflowId STARTS_WITH '${scheduledSweepWorkflowId(identifier)}'`;
          for await (const execution of stack.temporal.client.workflow.list({ query })) return execution.workflowId;
          throw new Error('no scheduled ticket yet');
        },
        { timeout: 20_000, interval: 200 },
      );
      const ticket: SweepReport = await stack.temporal.client.workflow.getHandle(ticketId).result();
      expect(ticket.outcome).toBe('delegated');
      const report: SweepReport = await stack.temporal.client.workflow
        .getHandle(sweepWorkflowId(identifier), runs[0]!.runId)
        .result();
      expect(report.outcome).toBe('completed');
      // The tick attached to the running sweep, or (if it came late) started one that found nothing new.
      if (ticket.sweep!.runId !== runs[0]!.runId) {
        const late: SweepReport = await stack.temporal.client.workflow
          .getHandle(ticket.sweep!.workflowId, ticket.sweep!.runId)
          .result();
        expect(late.outcome).toBe('nothing_new');
      }
      expect(sessionsCreated() - sessions).toBe(1);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
      expect(vaultsOf(stack, identifier)).toHaveLength(1);
    } finally {
      stack.emulators.agents.setStepDelay(0);
      await stack.inbox.unschedule(identifier);
    }
  });

  it('a request id is idempotent: repeated while running and after it closed, the same run, one session', async () => {
    const identifier = seedUser(stack);
    const sessions = sessionsCreated();
    stack.emulators.agents.setStepDelay(200);
    let first;
    try {
      const [a, b] = await Promise.all([
        stack.inbox.startSweep(identifier, { requestId: 'nightly-1' }),
        stack.inbox.startSweep(identifier, { requestId: 'nightly-1' }),
      ]);
      expect(b.firstExecutionRunId).toBe(a.firstExecutionRunId);
      first = await a.result();
    } finally {
      stack.emulators.agents.setStepDelay(0);
    }
    expect(first.outcome).toBe('completed');
    const again = await stack.inbox.startSweep(identifier, { requestId: 'nightly-1' });
    expect(await again.result()).toEqual(first);
    // A new request id is a new sweep, which finds nothing new.
    const other = await stack.inbox.startSweep(identifier, { requestId: 'nightly-2' });
    expect(other.firstExecutionRunId).not.toBe(again.firstExecutionRunId);
    expect((await other.result()).outcome).toBe('nothing_new');
    expect(sessionsCreated() - sessions).toBe(1);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);

    await expect(stack.inbox.startSweep(identifier, { requestId: 'a/b' })).rejects.toThrow(InvalidInputError);
    await expect(stack.inbox.startSweep(identifier, { requestId: 'x'.repeat(129) })).rejects.toThrow(
      /invalid request id/,
    );
  });
});
