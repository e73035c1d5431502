import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeedEmail } from '@inbox-agent/emulators/scalekit';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

/**
 * Issue 22 part 2: the worker's own bulk-mail rules. Mail marked as bulk by its own headers
 * (`List-Unsubscribe`, `Precedence: bulk|list|junk`) or sent from a no-reply address is recorded
 * `no_action` by the worker from its headers, before any session: it gets no turn, so no email's
 * text can decide it, and mail that is only bulk costs no session at all.
 */
const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);
const NEWSLETTER: SeedEmail = {
  from: 'Acme News <news@acme.example>',
  subject: 'Our November newsletter',
  body: 'Ten things we shipped this month.',
  headers: { 'List-Unsubscribe': '<mailto:unsubscribe@acme.example>' },
  receivedAt: at(30),
};
const DIGEST: SeedEmail = {
  from: 'Forum <forum@lists.example>',
  subject: 'Weekly digest',
  body: 'Top threads this week.',
  headers: { Precedence: 'bulk' },
  receivedAt: at(25),
};
const BUILD: SeedEmail = {
  from: 'CI <do-not-reply@ci.example>',
  subject: 'Build 812 passed',
  body: 'All checks passed.',
  receivedAt: at(20),
};
const HONEST: SeedEmail = {
  from: 'Ann <ann@example.com>',
  subject: 'Contract to sign',
  body: 'Please sign the contract by Monday.',
  receivedAt: at(10),
};

describe("the worker's bulk-mail rules (real worker, dev server, emulators)", () => {
  let stack: TestStack;
  const sessionsCreated = () => stack.emulators.agents.control.calls('POST /v1/sessions');

  beforeAll(async () => {
    stack = await startTestStack('bulk-mail');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('bulk mail gets no turn and is recorded no_action; the honest email in the same sweep gets its event', async () => {
    const identifier = seedUser(stack, {}, [NEWSLETTER, DIGEST, BUILD, HONEST]);
    const ids = Object.fromEntries(stack.emulators.scalekit.emails(identifier).map((e) => [e.subject, e.id]));
    const bulk = [ids[NEWSLETTER.subject]!, ids[DIGEST.subject]!, ids[BUILD.subject]!];

    const report = await stack.inbox.sweep(identifier);
    expect(report.outcome).toBe('completed');
    expect(report.messages!.noAction).toEqual(bulk);
    const events = stack.emulators.scalekit.calendarEvents(identifier);
    expect(events.map((e) => e.summary)).toEqual(['Action Required: Contract to sign']);
    expect(report.messages!.events.map((e) => e.messageId)).toEqual([ids[HONEST.subject]]);

    // One session, one turn: only the honest email was handed to the agent.
    const session = stack.emulators.agents.sessions().find((s) => s.id === report.session!.sessionId)!;
    expect(session.events.filter((e) => e.type === 'user.message')).toHaveLength(1);
    expect(report.session!.toolDecisions.every((d) => !d.messageId || d.messageId === ids[HONEST.subject])).toBe(true);

    const ledger = await stack.deps.state.handledAmong(identifier, bulk);
    expect(ledger.map((h) => [h.disposition, h.reason])).toEqual([
      ['no_action', "the worker's bulk-mail rule: List-Unsubscribe header"],
      ['no_action', "the worker's bulk-mail rule: Precedence: bulk, list or junk"],
      ['no_action', "the worker's bulk-mail rule: no-reply sender"],
    ]);
    expect((await stack.inbox.sweep(identifier)).outcome).toBe('nothing_new');
  });

  it('when only bulk mail is new: recorded no_action with no session at all', async () => {
    const identifier = seedUser(stack, {}, [NEWSLETTER, BUILD]);
    const before = sessionsCreated();
    const report = await stack.inbox.sweep(identifier);
    expect(sessionsCreated()).toBe(before);
    expect(report.sessions).toBe(0);
    expect(report.outcome).toBe('completed');
    expect(report.messages!.noAction).toHaveLength(2);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toEqual([]);
  });
});
