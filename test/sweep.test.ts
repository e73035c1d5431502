import { MockActivityEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { createActivities } from '../activities/index.js';
import { MemoryUserStateStore } from './helpers/memory-state.js';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { scheduleId, searchAttributes, sweepWorkflowId } from '../workflows/contract.js';
import type { InboxBatch, MintedToken, VaultRef } from '../activities/types.js';
import { BOOKED, INVOICE_EMAIL, seedUser, vaultsOf } from './helpers/demo.js';
import { startTestStack, type RunningWorker, type TestStack } from './helpers/stack.js';

describe('inbox sweep (real worker, dev server, emulators)', () => {
  let stack: TestStack;
  let worker: RunningWorker;

  beforeAll(async () => {
    stack = await startTestStack('sweep');
    worker = await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('setup is idempotent: the same config and agent ids, nothing created twice', async () => {
    const first = await stack.inbox.setup();
    const second = await stack.inbox.setup();
    expect(second.mcpConfigId).toBe(first.mcpConfigId);
    expect(second.agentId).toBe(first.agentId);
    expect(second.agentVersion).toBe(first.agentVersion);
    expect(second.created).toEqual({ mcpConfig: false, agent: false, agentUpdated: false });
    expect(stack.emulators.scalekit.configs()).toHaveLength(1);
    expect(stack.emulators.agents.agents().filter((a) => !a.archived)).toHaveLength(1);
  });

  it('a changed agent definition updates the agent to a new version instead of creating another', async () => {
    const before = await stack.inbox.setup();
    const changed = createActivities({
      ...stack.deps,
      settings: { ...stack.deps.settings, model: 'claude-sonnet-4-5' },
    });
    const updated = await changed.ensureProvisioned();
    expect(updated.agentId).toBe(before.agentId);
    expect(updated.agentVersion).toBe(before.agentVersion + 1);
    expect(updated.created).toEqual({ mcpConfig: false, agent: false, agentUpdated: true });
    // Back to the worker's definition: one more version, still one agent.
    const restored = await stack.inbox.setup();
    expect(restored.agentVersion).toBe(before.agentVersion + 2);
    expect(stack.emulators.agents.agents().filter((a) => !a.archived)).toHaveLength(1);
  });

  it('creates exactly one Action Required event with a summary drawn from the unread e-mail', async () => {
    const identifier = seedUser(stack);
    const report = await stack.inbox.sweep(identifier);

    expect(report.outcome).toBe('completed');
    expect(report.session?.stopReason).toBe('end_turn');
    expect(report.session?.toolCalls).toEqual(BOOKED);
    const events = stack.emulators.scalekit.calendarEvents(identifier);
    expect(events).toHaveLength(1);
    expect(events[0]!.summary).toBe(`Action Required: ${INVOICE_EMAIL.subject}`);
    expect(events[0]!.description).toMatch(/Q3 invoice/);
    expect(events[0]!.description).toMatch(/approval/);

    const vaults = vaultsOf(stack, identifier);
    expect(vaults).toHaveLength(1);
    const [config] = stack.emulators.scalekit.configs();
    expect(vaults[0]!.credentials.map((c) => c.mcpServerUrl)).toEqual([config!.mcpServerUrl]);
    const sessions = stack.emulators.agents.sessions().filter((s) => s.id === report.session?.sessionId);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.vaultIds).toEqual([vaults[0]!.id]);
  });

  it('a second sweep replaces the token in the same vault and credential', async () => {
    const identifier = seedUser(stack);
    const first = await stack.inbox.sweep(identifier);
    const tokenAfterFirst = vaultsOf(stack, identifier)[0]!.credentials[0]!.token;
    stack.emulators.scalekit.addEmail(identifier, { ...INVOICE_EMAIL, subject: 'Second request' });
    const second = await stack.inbox.sweep(identifier);

    expect(first.vault?.created).toBe(true);
    expect(second.vault?.created).toBe(false);
    expect(second.vault?.vaultId).toBe(first.vault?.vaultId);
    expect(second.vault?.credentialId).toBe(first.vault?.credentialId);
    const vaults = vaultsOf(stack, identifier);
    expect(vaults).toHaveLength(1);
    expect(vaults[0]!.credentials).toHaveLength(1);
    expect(vaults[0]!.credentials[0]!.token).not.toBe(tokenAfterFirst);
    expect(stack.emulators.scalekit.calendarEvents(identifier).map((e) => e.summary)).toEqual([
      `Action Required: ${INVOICE_EMAIL.subject}`,
      'Action Required: Second request',
    ]);
  });

  it('sweeping again before the email is read runs no session and books no second event', async () => {
    const identifier = seedUser(stack);
    await stack.inbox.sweep(identifier);
    const again = await stack.inbox.sweep(identifier);
    expect(again.outcome).toBe('nothing_new');
    expect(again.sessions).toBe(0);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
  });

  it('two vault upserts of one user that race to create a vault converge on one', async () => {
    // Sweeps of one user no longer overlap, but a vault must survive a race all the same (e.g. two
    // deployments sharing an Anthropic workspace): both look up, find nothing, and create.
    const identifier = seedUser(stack);
    const activities = createActivities(stack.deps);
    stack.emulators.agents.control.inject({ route: 'POST /v1/vaults', latencyMs: 400, times: 2 });
    // Outside a workflow, so in a mock activity context: a sealed token opens only in its own run.
    const run = new MockActivityEnvironment({ workflowExecution: { workflowId: 'w', runId: 'r' } });
    const token = stack.deps.sealer.seal('a-session-token', { workflowId: 'w', runId: 'r', identifier });
    const upsert = () =>
      run.run<[], VaultRef, () => Promise<VaultRef>>(() => activities.upsertVault(identifier, token));
    const [a, b] = await Promise.all([upsert(), upsert()]);
    expect(stack.emulators.agents.control.calls('POST /v1/vaults/:vault_id/archive')).toBeGreaterThanOrEqual(1);
    expect(a.vaultId).toBe(b.vaultId);
    const live = vaultsOf(stack, identifier);
    expect(live).toHaveLength(1);
    expect(live[0]!.credentials.filter((c) => !c.archived)).toHaveLength(1);
  });

  it("a user's first sweep makes a fixed number of vault calls and one session listing, however many vaults the workspace has", async () => {
    // Another user's sweep first, so the store knows a vault (a store that knows none imports them all).
    await stack.inbox.sweep(seedUser(stack));
    for (let i = 0; i < 250; i++) await stack.deps.managedAgents.createVault(`someone else ${i}`, {});
    const calls = () => stack.emulators.agents.control.snapshot();
    const before = calls();
    const report = await stack.inbox.sweep(seedUser(stack));
    expect(report.outcome).toBe('completed');
    const made = Object.entries(calls())
      .map(([route, n]) => [route, n - (before[route] ?? 0)] as const)
      .filter(([, n]) => n > 0);
    const vaultCalls = made.filter(([route]) => route.includes('/v1/vaults'));
    // Create the vault, look for and create its credential, read the credentials back: no listing of vaults.
    expect(Object.fromEntries(vaultCalls)).not.toHaveProperty(['GET /v1/vaults']);
    expect(vaultCalls.reduce((n, [, c]) => n + c, 0)).toBeLessThanOrEqual(4);
    // The read ends sessions left behind (one listing); the session's first attempt lists none again.
    expect(Object.fromEntries(made)['GET /v1/sessions']).toBe(1);
  });

  it('the read looks up the calendar only for mail once handed to an agent', async () => {
    const identifier = seedUser(stack);
    await stack.inbox.sweep(identifier);
    const { mintSessionToken, findUnhandled } = createActivities(stack.deps);
    const run = new MockActivityEnvironment({ workflowExecution: { workflowId: 'w', runId: 'r' } });
    const minted = await run.run<[], MintedToken, () => Promise<MintedToken>>(() =>
      mintSessionToken(identifier, 600_000),
    );
    const mcp = () => stack.emulators.scalekit.control.calls('POST /mcp/v3/servers/:server_id');
    const read = async () => {
      const before = mcp();
      const batch = await run.run<[], InboxBatch, () => Promise<InboxBatch>>(() =>
        findUnhandled({ identifier, token: minted.token }),
      );
      return { batch, calls: mcp() - before };
    };
    // Nothing new yet; this read also opens the MCP connection (kept for the token) and learns the
    // server's tool names, so the reads below make only their tool calls.
    expect((await read()).batch.messageIds).toEqual([]);
    stack.emulators.scalekit.addEmail(identifier, { ...INVOICE_EMAIL, subject: 'Fresh request' });
    const first = await read();
    expect(first.batch.messageIds).toHaveLength(1);
    // One gmail_fetch_mails: no calendar lookup for mail no agent has seen.
    expect(first.calls).toBe(1);
    // Handed over now (marked before any session): the next read looks for its event, which is how
    // a crash between the session and the record is recovered.
    const second = await read();
    expect(second.batch.messageIds).toEqual(first.batch.messageIds);
    expect(second.calls).toBe(2);
  });

  it('a worker that remembers no ids finds the vault by metadata instead of creating another', async () => {
    const identifier = seedUser(stack);
    const first = await stack.inbox.sweep(identifier);
    await worker.stop();
    const forgetful = await stack.startWorker({ ...stack.deps, state: new MemoryUserStateStore() });
    stack.emulators.scalekit.addEmail(identifier, { ...INVOICE_EMAIL, subject: 'Another request' });
    try {
      const second = await stack.inbox.sweep(identifier);
      // Its ledger is empty too: the calendar's events still say the first e-mail was handled.
      expect(second.messages?.recovered).toBe(1);
      expect(second.messages?.events).toHaveLength(1);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(2);
      expect(second.vault?.vaultId).toBe(first.vault?.vaultId);
      expect(second.vault?.credentialId).toBe(first.vault?.credentialId);
      expect(vaultsOf(stack, identifier)).toHaveLength(1);
    } finally {
      await forgetful.stop();
      worker = await stack.startWorker();
    }
  });

  it('a per-user schedule starts sweeps tagged with the user', async () => {
    const identifier = seedUser(stack);
    const schedule = await stack.inbox.schedule(identifier, { every: '1 day', paused: true });
    try {
      expect(schedule.scheduleId).toBe(scheduleId(identifier));
      await schedule.trigger();
      const query = `${searchAttributes.identifier.name} = '${identifier}' AND ExecutionStatus = 'Completed'`;
      const runs = await vi.waitFor(
        async () => {
          const found = [];
          for await (const execution of stack.temporal.client.workflow.list({ query }))
            found.push(execution.workflowId);
          if (found.length < 2) throw new Error('no completed scheduled sweep yet');
          return found;
        },
        { timeout: 20_000, interval: 200 },
      );
      // The scheduled run is a ticket that started the user's one sweep under its canonical id.
      expect(runs.sort()).toEqual([sweepWorkflowId(identifier), expect.stringMatching(/\/@schedule-/)]);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    } finally {
      await stack.inbox.unschedule(identifier);
    }
  });

  it('keeps the session token out of workflow history, raw and base64', async () => {
    const identifier = seedUser(stack);
    const handle = await stack.inbox.startSweep(identifier);
    await handle.result();
    const token = vaultsOf(stack, identifier)[0]!.credentials[0]!.token;
    expect(token.length).toBeGreaterThan(20);

    const history = await handle.fetchHistory();
    const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expect(raw.includes(Buffer.from(token))).toBe(false);
    expect(raw.includes(Buffer.from(Buffer.from(token).toString('base64')))).toBe(false);
    expect(raw.includes(Buffer.from('binary/encrypted'))).toBe(true); // like every payload, encrypted
    // Not vacuous: the token did cross history, sealed. The mint's recorded result, decoded, holds a
    // sealed secret that opens (in this run, for this user) to the very token the vault received.
    const events = history.events ?? [];
    // The mint is a local activity: its result is in its marker, beside the marker's own data.
    const mint = events.find((e) => {
      const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return data && JSON.parse(Buffer.from(data).toString()).activity_type === 'mintSessionToken';
    })!;
    const minted = await decodeFromPayloadsAtIndex<MintedToken>(
      stack.temporal.client.options.loadedDataConverter,
      0,
      mint.markerRecordedEventAttributes!.details!.result!.payloads,
    );
    expect(JSON.stringify(minted)).not.toContain(token);
    const binding = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, identifier };
    expect(stack.deps.sealer.open(minted.token, binding)).toBe(token);
  });
});
