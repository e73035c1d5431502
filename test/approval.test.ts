import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Notice } from '../activities/notify.js';
import { InvalidInputError } from '../client/index.js';
import { eventTitle } from '../common/subject.js';
import { searchAttributes, type SweepStatus } from '../workflows/contract.js';
import { node } from './helpers/cli.js';
import { startConsentStack, type ConsentStack } from './helpers/consent.js';
import { CONTRACT_EMAIL, INVOICE_EMAIL, seedUser } from './helpers/demo.js';
import { waitForStatus } from './helpers/wait.js';

describe('human approval (approval mode ask)', () => {
  let stack: ConsentStack;
  const cli = (...args: string[]) => node('client/cli.ts', args, stack.clientEnv);

  /** Set by a test: the next ledger write fails, as if the worker died between booking and recording. */
  let failNextRecord = false;

  beforeAll(async () => {
    stack = await startConsentStack('approval');
    const state = stack.deps.state;
    const flaky: typeof state = Object.assign(Object.create(state) as typeof state, {
      recordHandled: async (...args: Parameters<typeof state.recordHandled>) => {
        if (failNextRecord) {
          failNextRecord = false;
          throw new Error('worker lost before recording');
        }
        return state.recordHandled(...args);
      },
    });
    await stack.startWorker({ ...stack.deps, state: flaky });
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const askingUser = async (emails = [INVOICE_EMAIL]) => {
    const identifier = seedUser(stack, {}, emails);
    expect((await stack.inbox.userSettings(identifier, { approval: 'ask' })).approval).toBe('ask');
    return identifier;
  };
  const awaiting = (s: SweepStatus) => s.phase === 'awaiting_approval' && (s.proposals?.length ?? 0) > 0;

  it('the CLI sets the mode, lists the proposal and approves it; the worker books exactly the proposal', async () => {
    const identifier = seedUser(stack);
    const set = await cli('user', identifier, '--approval', 'ask');
    expect(set.stdout).toContain(`${identifier}: approval mode ask`);
    expect((await cli('user', identifier, '--approval', 'sometimes')).code).toBe(2);

    const handle = await stack.inbox.startSweep(identifier);
    const waiting = await waitForStatus(handle, awaiting);
    const [proposal] = waiting.proposals!;
    expect(waiting.approval).toBe('ask');
    expect(proposal).toMatchObject({ state: 'pending', title: eventTitle(INVOICE_EMAIL.subject) });
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
    // Operators find waiting sweeps by the search attribute.
    await vi.waitFor(async () =>
      expect((await handle.describe()).typedSearchAttributes.get(searchAttributes.phase)).toBe('awaiting_approval'),
    );
    const status = await cli('status', identifier);
    expect(status.stdout).toContain('approval mode ask');
    expect(status.stdout).toContain(`${proposal!.id}  pending`);
    const listed = await cli('proposals', identifier);
    expect(listed.stdout).toContain(`${proposal!.id}  pending  ${proposal!.title}`);

    const approved = await cli('approve', identifier, proposal!.id);
    expect(approved.stdout).toContain(`approved ${proposal!.id}`);
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    const [event] = stack.emulators.scalekit.calendarEvents(identifier);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    expect(event).toMatchObject({ summary: proposal!.title, description: proposal!.description, attendees: [] });
    expect(report.approval).toEqual({
      approved: [{ id: proposal!.id, messageId: proposal!.messageId, eventId: event!.id }],
      denied: [],
      timedOut: false,
    });
    expect(await stack.deps.state.handledAmong(identifier, [proposal!.messageId])).toMatchObject([
      { disposition: 'event', eventId: event!.id },
    ]);
    // Decided: a second approval (a replay) is refused, and the next sweep finds nothing new.
    expect((await cli('approve', identifier, proposal!.id)).code).toBe(2);
    expect((await stack.inbox.sweep(identifier)).outcome).toBe('nothing_new');
  });

  it("the typed client's Update approves one and denies the other with a reason; non-pending ids are refused", async () => {
    const identifier = await askingUser([INVOICE_EMAIL, CONTRACT_EMAIL]);
    const handle = await stack.inbox.startSweep(identifier);
    const waiting = await waitForStatus(handle, (s) => awaiting(s) && s.proposals!.length === 2);
    const [invoice, contract] = waiting.proposals!;

    await expect(
      stack.inbox.decideProposals(identifier, { decision: 'approve', ids: ['p-0000000000'] }),
    ).rejects.toThrow(new InvalidInputError('no proposal p-0000000000 in this sweep'));
    await expect(
      stack.inbox.decideProposals(identifier, { decision: 'approve', ids: [invoice!.id, invoice!.id] }),
    ).rejects.toThrow(/named twice/);

    const first = await stack.inbox.decideProposals(identifier, { decision: 'approve', ids: [invoice!.id] });
    expect(first).toMatchObject({ decided: [{ id: invoice!.id, decision: 'approve' }], pending: [contract!.id] });
    await expect(stack.inbox.decideProposals(identifier, { decision: 'deny', ids: [invoice!.id] })).rejects.toThrow(
      `proposal ${invoice!.id} was already approved`,
    );
    // The approved one is booked at once, while the other still waits.
    await vi.waitFor(() => expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1), {
      timeout: 20_000,
    });
    expect((await stack.inbox.status(identifier))[0]!.status.phase).toBe('awaiting_approval');

    await stack.inbox.decideProposals(identifier, { decision: 'deny', reason: 'already paid', by: 'test' });
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(report.approval?.denied).toEqual([
      { id: contract!.id, messageId: contract!.messageId, reason: 'already paid' },
    ]);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    expect(await stack.deps.state.handledAmong(identifier, [contract!.messageId])).toMatchObject([
      { disposition: 'denied', reason: 'already paid' },
    ]);
    expect((await stack.inbox.sweep(identifier)).outcome).toBe('nothing_new');
  });

  it('denies every undecided proposal when the approval wait runs out, and says so', async () => {
    const identifier = await askingUser();
    const report = await stack.inbox.sweep(identifier, { approvalTimeout: '2 seconds' });
    expect(report.outcome).toBe('completed');
    expect(report.approval).toMatchObject({ approved: [], timedOut: true });
    expect(report.approval!.denied[0]!.reason).toMatch(/^no decision by /);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
    const [message] = stack.emulators.scalekit.emails(identifier);
    expect(await stack.deps.state.handledAmong(identifier, [message!.id])).toMatchObject([{ disposition: 'denied' }]);
  });

  it('notifies through the signed webhook with approve and deny links; forged, other-user and replayed links are refused', async () => {
    const identifier = await askingUser();
    const other = await askingUser();
    const handle = await stack.inbox.startSweep(identifier);
    const otherHandle = await stack.inbox.startSweep(other);
    const [proposal] = (await waitForStatus(handle, awaiting)).proposals!;
    await waitForStatus(otherHandle, awaiting);
    const notice = await vi.waitFor(
      () => {
        const found = stack.webhook.delivered(identifier).find((r) => (r.notice as Notice).event === 'approval.needed');
        if (!found) throw new Error('no approval notice yet');
        return found.notice as unknown as { proposal: { id: string }; approveLink: string; denyLink: string };
      },
      { timeout: 20_000 },
    );
    expect(notice.proposal.id).toBe(proposal!.id);
    const otherNotice = await vi.waitFor(() => {
      const found = stack.webhook.delivered(other).find((r) => (r.notice as Notice).event === 'approval.needed');
      if (!found) throw new Error('no approval notice yet');
      return found.notice as unknown as { approveLink: string };
    });

    const post = (url: string, body = '') =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    // A token with a flipped signature byte, and another user's token under this user's path.
    const forged = new URL(notice.approveLink);
    const token = forged.searchParams.get('token')!;
    forged.searchParams.set('token', `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}${token.slice(-1)}`);
    expect((await post(forged.toString())).status).toBe(400);
    const crossed = new URL(otherNotice.approveLink);
    crossed.pathname = `/approval/${identifier}`;
    expect((await post(crossed.toString())).status).toBe(403);

    // GET only shows the page; the POST from its button decides.
    const page = await fetch(notice.denyLink);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(proposal!.title);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
    const denied = await post(notice.denyLink, 'reason=not+mine');
    expect(denied.status).toBe(200);
    // Replayed, or the other link of the pair: nothing left to decide.
    expect((await post(notice.denyLink)).status).toBe(409);
    expect((await post(notice.approveLink)).status).toBe(409);

    const report = await handle.result();
    expect(report.approval?.denied).toMatchObject([{ id: proposal!.id, reason: 'not mine' }]);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(0);
    await stack.inbox.decideProposals(other, { decision: 'deny' });
    await otherHandle.result();
  });

  it('the user approves through the signed link in a real browser (Chromium)', async () => {
    const identifier = await askingUser();
    const handle = await stack.inbox.startSweep(identifier);
    const [proposal] = (await waitForStatus(handle, awaiting)).proposals!;
    const link = await vi.waitFor(
      () => {
        const found = stack.webhook.delivered(identifier).find((r) => (r.notice as Notice).event === 'approval.needed');
        if (!found) throw new Error('no approval notice yet');
        return (found.notice as unknown as { approveLink: string }).approveLink;
      },
      { timeout: 20_000 },
    );
    const executablePath = execFileSync(
      'bash',
      [fileURLToPath(new URL('../scripts/ensure-chromium', import.meta.url))],
      {
        encoding: 'utf8',
      },
    ).trim();
    const browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(link);
      expect(await page.textContent('h1')).toBe('Approve this event?');
      expect(await page.textContent('body')).toContain(proposal!.title);
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.waitForLoadState();
      expect(await page.textContent('h1')).toBe('Approved');
      // Back and submit again: a replay, refused.
      await page.goBack();
      await page.reload();
      expect(await page.textContent('h1')).toBe('Nothing left to decide');
    } finally {
      await browser.close();
    }
    const report = await handle.result();
    expect(report.approval?.approved).toMatchObject([{ id: proposal!.id }]);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
  });

  it('a worker lost after booking, before recording, does not book twice: the retry finds the event by its marker', async () => {
    const identifier = await askingUser();
    const handle = await stack.inbox.startSweep(identifier);
    const [proposal] = (await waitForStatus(handle, awaiting)).proposals!;
    failNextRecord = true;
    await stack.inbox.decideProposals(identifier, { decision: 'approve', ids: [proposal!.id] });
    const report = await handle.result();
    expect(failNextRecord).toBe(false);
    const events = stack.emulators.scalekit.calendarEvents(identifier);
    expect(events).toHaveLength(1);
    expect(report.approval?.approved).toEqual([
      { id: proposal!.id, messageId: proposal!.messageId, eventId: events[0]!.id },
    ]);
  });
});
