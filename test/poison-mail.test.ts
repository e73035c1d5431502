import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sweepWorkflowId } from '../workflows/contract.js';
import { node } from './helpers/cli.js';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

const mail = (subject: string, minutesAgo: number) => ({
  from: 'Dana Reyes <dana@acme.example>',
  subject,
  body: `About ${subject}: please review and reply by Friday.`,
  receivedAt: new Date(Date.now() - minutesAgo * 60_000),
});

describe('poison mail is set aside, visibly (real worker, dev server, emulators)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('poison-mail');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterEach(() => stack.emulators.agents.setAgentBehaviour({ failOnMessageIds: [] }));
  afterAll(async () => {
    await stack?.close();
  });

  const idOf = (identifier: string, subject: string) =>
    stack.emulators.scalekit.emails(identifier).find((e) => e.subject === subject)!.id;
  const titles = (identifier: string) =>
    stack.emulators.scalekit
      .calendarEvents(identifier)
      .map((e) => e.summary)
      .sort();

  it(
    'three sessions fail on a message: gave_up with the reason, newer mail handled meanwhile, retry brings it back',
    { timeout: 120_000 },
    async () => {
      const identifier = seedUser(stack, {}, [mail('Poison', 60), mail('Second', 50)]);
      const poison = idOf(identifier, 'Poison');
      stack.emulators.agents.setAgentBehaviour({ failOnMessageIds: [poison] });

      const first = await stack.inbox.sweep(identifier);
      expect(first.outcome).toBe('partial');
      expect(first.messages).toMatchObject({ unhandled: [poison], gaveUp: [], setAside: 0 });
      stack.emulators.scalekit.addEmail(identifier, mail('Third', 40));
      const second = await stack.inbox.sweep(identifier);
      expect(second.messages).toMatchObject({ unhandled: [poison], gaveUp: [] });
      stack.emulators.scalekit.addEmail(identifier, mail('Fourth', 30));
      const third = await stack.inbox.sweep(identifier);
      expect(third.outcome).toBe('partial');
      expect(third.messages).toMatchObject({ unhandled: [], gaveUp: [poison], setAside: 1 });
      // Newer mail never waited for it.
      expect(titles(identifier)).toEqual(['Fourth', 'Second', 'Third'].map((s) => `Action Required: ${s}`));

      // Set aside: later sweeps skip it (no session at all), and say so.
      const later = await stack.inbox.sweep(identifier);
      expect(later).toMatchObject({ outcome: 'nothing_new', sessions: 0, messages: { setAside: 1 } });
      // `list` counts them (from the sweep's memo, visibility only), for the sweep that set it aside and later ones.
      await vi.waitFor(
        async () => {
          const { sweeps } = await stack.inbox.listSweeps({ outcome: ['partial', 'nothing_new'], since: '10m' });
          const mine = sweeps.filter((s) => s.workflowId === sweepWorkflowId(identifier));
          expect(mine.slice(0, 2).map((s) => [s.outcome, s.setAside])).toEqual([
            ['nothing_new', 1],
            ['partial', 1],
          ]);
        },
        { timeout: 10_000, interval: 200 },
      );

      // The ledger keeps the last reason, in the worker's words: no mail content.
      const [record] = await stack.deps.state.handledAmong(identifier, [poison]);
      expect(record).toMatchObject({
        disposition: 'gave_up',
        reason: expect.stringMatching(/^3 sessions did not handle it; the last: session sesn_\S+ ended end_turn; /),
      });
      expect(record!.reason).not.toMatch(/Poison|review and reply/);

      // An operator retries it; with the fault gone, the next sweep handles it.
      stack.emulators.agents.setAgentBehaviour({ failOnMessageIds: [] });
      const retried = await node('client/cli.ts', ['retry', identifier, poison], stack.clientEnv);
      expect(retried).toMatchObject({ code: 0, stdout: expect.stringContaining('back in the queue') });
      expect(await stack.inbox.retry(identifier, poison)).toBe(false);
      const after = await stack.inbox.sweep(identifier);
      expect(after.outcome).toBe('completed');
      expect(after.messages).toMatchObject({ events: [{ messageId: poison }], setAside: 0 });
      expect(titles(identifier)).toHaveLength(4);
    },
  );

  it(
    'a backlog of 600 unread emails, the newest 500 handled already (still unread): the oldest come next, in order, each once',
    { timeout: 120_000 },
    async () => {
      const count = 600;
      const emails = Array.from({ length: count }, (_, i) => mail(`Backlog ${String(i).padStart(3, '0')}`, count - i));
      const identifier = seedUser(stack, {}, emails);
      const oldestFirst = stack.emulators.scalekit
        .emails(identifier)
        .sort((a, b) => new Date(a.receivedAt!).getTime() - new Date(b.receivedAt!).getTime())
        .map((e) => e.id);
      // Months of handled mail the user never opened: Gmail lists it first (newest first), page after page.
      await stack.deps.state.recordHandled(
        identifier,
        oldestFirst
          .slice(100)
          .map((messageId) => ({ messageId, disposition: 'no_action', handledAt: new Date().toISOString() })),
      );
      const order: string[] = [];
      for (let sweep = 0; sweep < 2; sweep++) {
        const report = await stack.inbox.sweep(identifier, { maxEmails: 50 });
        expect(report.outcome).toBe('completed');
        expect(report.messages?.unhandled).toEqual([]);
        order.push(...report.messages!.events.map((e) => e.messageId));
      }
      expect((await stack.inbox.sweep(identifier, { maxEmails: 50 })).outcome).toBe('nothing_new');
      expect(order).toEqual(oldestFirst.slice(0, 100));
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(100);
    },
  );
});
