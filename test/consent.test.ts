import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createConsentState } from '../consent/state.js';
import { scheduleId, searchAttributes, statusQuery, sweepWorkflowId } from '../workflows/contract.js';
import { startConsentStack, type ConsentStack } from './helpers/consent.js';
import { INVOICE_EMAIL, seedUser } from './helpers/demo.js';
import { followMagicLink, waitForStatus } from './helpers/wait.js';

const VERIFY = 'grpc VerifyConnectedAccountUser';

/** The receiving app's check, exactly as docs/consent.md gives it. */
function verifyWebhook(secret: string, rawBody: string, header: string, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!parts.v1 || !Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('the consent loop', () => {
  let stack: ConsentStack;

  beforeAll(async () => {
    stack = await startConsentStack('consent');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a periodic re-check notices consent given without any callback or signal, for a sweep started by any client', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    // Started without the typed client and without the search attribute: the sweep sets it itself.
    const handle = await stack.temporal.client.workflow.start('inboxSweep', {
      taskQueue: stack.taskQueue,
      workflowId: sweepWorkflowId(identifier),
      args: [{ identifier, reauthTimeout: '10 minutes', recheckEvery: '1 second' }],
    });
    const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    // Links made with the SDK for the verification flow carry their expiry: about a minute.
    const link = waiting.authLinks[0]!;
    expect(Date.parse(link.expiresAt!) - Date.parse(link.createdAt!)).toBeLessThanOrEqual(61_000);
    expect(waiting.nextRecheckAt).toBeTruthy();
    await vi.waitFor(async () => expect(await stack.inbox.runningSweeps(identifier)).toEqual([handle.workflowId]), {
      timeout: 10_000,
    });

    stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect((await handle.query(statusQuery)).reauthSignals).toBe(0);
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(searchAttributes.identifier)).toBe(identifier);
  });

  it('reminds through a signed webhook at the cadence with fresh links, retried when the app answers 500, and once more on giving up', async () => {
    const identifier = seedUser(stack, { googlecalendar: 'EXPIRED' });
    stack.webhook.failNext(2);
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '7 seconds', remindEvery: '2 seconds' });
    const report = await handle.result();
    expect(report.outcome).toBe('reauth_timed_out');
    await vi.waitFor(() =>
      expect(stack.webhook.delivered(identifier).at(-1)?.notice.event).toBe('reauthorization.gave_up'),
    );

    const all = stack.webhook.received.filter((r) => r.notice.identifier === identifier);
    // The first notice was answered 500 twice, then delivered: the same notice id each time, so the app can dedupe.
    const first = all.filter((r) => r.notice.id === all[0]!.notice.id);
    expect(first.map((r) => [r.notice.event, r.status])).toEqual([
      ['reauthorization.needed', 500],
      ['reauthorization.needed', 500],
      ['reauthorization.needed', 204],
    ]);

    const delivered = stack.webhook.delivered(identifier);
    const events = delivered.map((r) => r.notice.event);
    expect(events.filter((e) => e === 'reauthorization.needed')).toHaveLength(1);
    expect(events.filter((e) => e === 'reauthorization.gave_up')).toHaveLength(1);
    const reminders = delivered.filter((r) => r.notice.event === 'reauthorization.reminder');
    expect(reminders.length).toBeGreaterThanOrEqual(2);
    expect(reminders.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < reminders.length; i++) expect(reminders[i]!.at - reminders[i - 1]!.at).toBeGreaterThan(1500);

    for (const r of all) {
      expect(verifyWebhook(stack.webhookSecret, r.body, r.signature)).toBe(true);
      expect(verifyWebhook('another-secret-entirely', r.body, r.signature)).toBe(false);
      expect(verifyWebhook(stack.webhookSecret, r.body.replace('googlecalendar', 'gmail'), r.signature)).toBe(false);
      expect(r.notice).toMatchObject({ identifier, connection: 'googlecalendar', workflowId: handle.workflowId });
      expect(Date.parse(r.notice.linkExpiresAt!) - Date.parse(r.notice.sentAt)).toBeLessThanOrEqual(61_000);
    }
    // Every delivery carries a link made for it.
    expect(new Set(delivered.map((r) => r.notice.link)).size).toBe(delivered.length);
    expect(new Set(delivered.map((r) => r.notice.deadline)).size).toBe(1);
  });

  it('reminder ids are unique across two waits of one user, so a receiver that drops seen ids drops no later reminder', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    for (let i = 0; i < 2; i++) {
      const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '2 seconds' });
      await expect(handle.result()).resolves.toMatchObject({ outcome: 'reauth_timed_out' });
    }
    await vi.waitFor(() =>
      expect(
        stack.webhook.delivered(identifier).filter((r) => r.notice.event === 'reauthorization.gave_up'),
      ).toHaveLength(2),
    );
    const ids = stack.webhook.delivered(identifier).map((r) => r.notice.id);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a receiver answering 429 with Retry-After: 3600 cannot keep a sweep past its deadline', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    stack.webhook.failNext(1000, 429, { 'retry-after': '3600' });
    try {
      const started = Date.now();
      const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '3 seconds' });
      await expect(handle.result()).resolves.toMatchObject({ outcome: 'reauth_timed_out' });
      // The last notice gets one try, the capped Retry-After being past its half-minute bound.
      expect(Date.now() - started).toBeLessThan(3_000 + 20_000);
      const gaveUp = stack.webhook.received.filter(
        (r) => r.notice.identifier === identifier && r.notice.event === 'reauthorization.gave_up',
      );
      expect(gaveUp.map((r) => r.status)).toEqual([429]);
    } finally {
      stack.webhook.failNext(0);
    }
  });

  it('refuses a forged, expired or other-user state with a 4xx page: no verification, no signal', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const other = seedUser(stack, { gmail: 'EXPIRED' });
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
    await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    const verifiesBefore = stack.emulators.scalekit.control.calls(VERIFY);
    const ours = createConsentState(stack.consentKey);
    const forger = createConsentState(Buffer.alloc(32, 7).toString('base64'));
    const binding = { identifier, connection: 'gmail', workflowId: handle.workflowId };
    const visit = (state: string, who = identifier) =>
      fetch(`${stack.callback.url}/verify/${who}?auth_request_id=ar_whatever&state=${encodeURIComponent(state)}`);

    const forged = await visit(await forger.sign(binding));
    expect(forged.status).toBe(400);
    expect(await forged.text()).toMatch(/not valid/);
    const tampered = (await ours.sign(binding)).replace(
      /\.[^.]+\./,
      `.${Buffer.from(JSON.stringify({ sub: other, conn: 'gmail' })).toString('base64url')}.`,
    );
    expect((await visit(tampered)).status).toBe(400);
    const expired = await visit(await ours.sign(binding, -10));
    expect(expired.status).toBe(410);
    expect(await expired.text()).toMatch(/expired/);
    // A genuine state of another user, brought to this user's verify URL (or the reverse).
    expect((await visit(await ours.sign({ identifier: other, connection: 'gmail' }))).status).toBe(403);
    expect((await visit(await ours.sign(binding), other)).status).toBe(403);
    expect((await fetch(`${stack.callback.url}/verify/${identifier}?state=x`)).status).toBe(400);

    expect(stack.emulators.scalekit.control.calls(VERIFY)).toBe(verifiesBefore);
    expect((await handle.query(statusQuery)).reauthSignals).toBe(0);
    expect(stack.outcomes.filter((o) => o.result !== 'rejected')).toHaveLength(0);
    await handle.terminate('test done');
  });

  it('the redirect verifies the user and wakes the sweep; opened twice, it confirms again and changes nothing', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
    const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    const consented = await followMagicLink(waiting.authLinks[0]!.url);
    expect(consented.status).toBe(302);
    const back = consented.headers.get('location')!;
    expect(back.startsWith(`${stack.callback.url}/verify/${identifier}?`)).toBe(true);

    const first = await fetch(back);
    expect(first.status).toBe(200);
    expect(await first.text()).toMatch(/gmail is connected/);
    await expect(handle.result()).resolves.toMatchObject({ outcome: 'completed' });
    const again = await fetch(back);
    expect(again.status).toBe(200);
    expect(await again.text()).toMatch(/already connected/);
    expect(stack.outcomes.filter((o) => 'identifier' in o && o.identifier === identifier).map((o) => o.result)).toEqual(
      ['verified', 'already_verified'],
    );
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    // Scalekit, not the state, decides whose auth request it is: another user's valid state is refused there.
    const other = seedUser(stack, { gmail: 'EXPIRED' });
    const request = new URL(back).searchParams.get('auth_request_id')!;
    const theirs = await createConsentState(stack.consentKey).sign({ identifier: other, connection: 'gmail' });
    const swapped = await fetch(`${stack.callback.url}/verify/${other}?auth_request_id=${request}&state=${theirs}`);
    expect(swapped.status).toBeGreaterThanOrEqual(400);
    expect(swapped.status).toBeLessThan(500);
  });

  it('a scheduled sweep that gives up leaves its schedule paused with a note; the next consent through the callback unpauses it', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' }, [INVOICE_EMAIL]);
    const schedule = await stack.inbox.schedule(identifier, { every: '1 hour', reauthTimeout: '4 seconds' });
    try {
      await schedule.trigger();
      // The schedule's run is a ticket that starts the user's one sweep.
      const handle = stack.temporal.client.workflow.getHandle(sweepWorkflowId(identifier));
      await vi.waitFor(() => waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization'), { timeout: 10_000 });
      await vi.waitFor(async () => {
        const { state } = await schedule.describe();
        expect(state.paused).toBe(true);
        expect(state.note).toMatch(/gmail needs re-authorization since \d{4}-/);
      });
      await expect(handle.result()).resolves.toMatchObject({ outcome: 'reauth_timed_out' });
      await vi.waitFor(async () => {
        const { state } = await schedule.describe();
        expect(state.paused).toBe(true);
        expect(state.note).toMatch(/stopped waiting/);
      });

      // The last reminder's link still works: the user consents after the sweep gave up.
      const gaveUp = await vi.waitFor(() => {
        const notice = stack.webhook.delivered(identifier).find((r) => r.notice.event === 'reauthorization.gave_up');
        if (!notice) throw new Error('no gave_up notice yet');
        return notice.notice;
      });
      const consented = await followMagicLink(gaveUp.link!);
      const page = await fetch(consented.headers.get('location')!);
      expect(page.status).toBe(200);
      await vi.waitFor(async () => expect((await schedule.describe()).state.paused).toBe(false));
      expect((await schedule.describe()).state.note).toMatch(/consent verified/);
    } finally {
      await stack.inbox.unschedule(identifier);
    }
    expect(scheduleId(identifier)).toBe(schedule.scheduleId);
  });
});
