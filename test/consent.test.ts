import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { SignJWT } from 'jose';
import { createConsentRouter, embeddedIdentity, type CallbackOutcome } from '../callback/index.js';
import { sessionKey } from '../callback/identity.js';
import { ScalekitConnectedAccounts } from '../consent/connected-accounts.js';
import { consentReconcilerScheduleId } from '../consent/reconciler.js';
import { CONSENT_NOTE_PREFIX, pauseForConsent } from '../consent/schedules.js';
import { createConsentState } from '../consent/state.js';
import type { consentReconciler } from '../workflows/index.js';
import { scheduleId, searchAttributes, statusQuery, sweepWorkflowId } from '../workflows/contract.js';
import { startConsentStack, startOidcCallback, type ConsentStack } from './helpers/consent.js';
import { INVOICE_EMAIL, seedUser } from './helpers/demo.js';
import { followMagicLink, visitSignedIn, waitForStatus } from './helpers/wait.js';

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

  it('refuses a forged, expired, unsigned-in or other-user visit with a 4xx page: no verification, no signal', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const other = seedUser(stack, { gmail: 'EXPIRED' });
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
    await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    const verifiesBefore = stack.emulators.scalekit.control.calls(VERIFY);
    const ours = createConsentState(stack.consentKey);
    const forger = createConsentState(Buffer.alloc(32, 7).toString('base64'));
    const binding = { identifier, connection: 'gmail' };
    const visit = async (state: string, as: string | null = identifier) =>
      stack.visit(
        `${stack.callback.url}/verify?auth_request_id=ar_whatever&state=${encodeURIComponent(state)}`,
        as ?? undefined,
      );

    const forged = await visit(await forger.sign(binding));
    expect(forged.status).toBe(400);
    expect(await forged.text()).toMatch(/not valid/);
    const tampered = (await ours.sign(binding)).replace(
      /\.[^.]+\./,
      `.${Buffer.from(JSON.stringify({ sub: other, c: 'gmail', jti: 'x' })).toString('base64url')}.`,
    );
    expect((await visit(tampered)).status).toBe(400);
    const expired = await visit(await ours.sign(binding, -10));
    expect(expired.status).toBe(410);
    expect(await expired.text()).toMatch(/expired/);
    // Nobody signed in: the link alone proves nothing.
    const anonymous = await visit(await ours.sign(binding), null);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toMatch(/sign in/i);
    // A session for another user, whichever user the state names: refused, nothing called.
    const forwarded = await visit(await ours.sign(binding), other);
    expect(forwarded.status).toBe(403);
    expect(await forwarded.text()).toMatch(/another account/);
    expect((await visit(await ours.sign({ identifier: other, connection: 'gmail' }))).status).toBe(403);
    expect((await stack.visit(`${stack.callback.url}/verify?state=x`, identifier)).status).toBe(400);

    expect(stack.emulators.scalekit.control.calls(VERIFY)).toBe(verifiesBefore);
    expect((await handle.query(statusQuery)).reauthSignals).toBe(0);
    expect(stack.outcomes.filter((o) => o.result !== 'rejected')).toHaveLength(0);
    await handle.terminate('test done');
  });

  it('a forwarded link opened by another signed-in user is refused; its owner then verifies once; a replay changes nothing', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const mallory = seedUser(stack, { gmail: 'ACTIVE' });
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
    const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    const consented = await followMagicLink(waiting.authLinks[0]!.url);
    expect(consented.status).toBe(302);
    const back = consented.headers.get('location')!;
    expect(back.startsWith(`${stack.callback.url}/verify?`)).toBe(true);
    expect(new URL(back).searchParams.get('state')!.length).toBeLessThan(512);
    const verifiesBefore = stack.emulators.scalekit.control.calls(VERIFY);

    // Mallory got the link (forwarded, or read over a shoulder) and is signed in as herself.
    const stolen = await stack.visit(back, mallory);
    expect(stolen.status).toBe(403);
    expect(stack.emulators.scalekit.control.calls(VERIFY)).toBe(verifiesBefore);
    expect((await handle.query(statusQuery)).reauthSignals).toBe(0);

    const first = await stack.visit(back, identifier);
    expect(first.status).toBe(200);
    expect(await first.text()).toMatch(/gmail is connected/);
    await expect(handle.result()).resolves.toMatchObject({ outcome: 'completed' });
    const verifies = stack.emulators.scalekit.control.calls(VERIFY);
    const events = (await handle.fetchHistory()).events!.length;

    // The same redirect replayed, many times, even with made-up auth request ids: a page, nothing else.
    for (const url of [back, back.replace(/auth_request_id=[^&]+/, 'auth_request_id=ar_madeup')]) {
      const again = await stack.visit(url, identifier);
      expect(again.status).toBe(409);
      expect(await again.text()).toMatch(/already used/);
    }
    expect(stack.emulators.scalekit.control.calls(VERIFY)).toBe(verifies);
    expect((await handle.fetchHistory()).events!.length).toBe(events);
    expect(stack.outcomes.filter((o) => 'identifier' in o && o.identifier === identifier).map((o) => o.result)).toEqual(
      ['verified'],
    );
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
  });

  describe('signed in through OIDC (the standalone default)', () => {
    let oidc: Awaited<ReturnType<typeof startOidcCallback>>;
    /** The people the local OIDC provider lets sign in. */
    const users: string[] = [];
    const outcomes: CallbackOutcome[] = [];
    /** The verify URL of a state for `identifier`, at the OIDC callback. */
    const verifyUrl = async (identifier: string, authRequestId = 'ar_whatever') =>
      `${oidc.url}/verify?auth_request_id=${authRequestId}&state=${encodeURIComponent(
        await createConsentState(stack.consentKey).sign({ identifier, connection: 'gmail' }),
      )}`;

    beforeAll(async () => {
      oidc = await startOidcCallback(stack, stack.consentKey, users, (o) => outcomes.push(o));
    });
    afterAll(async () => {
      await oidc?.close();
    });

    it('a session for another user: 403, Scalekit never called, the waiting sweep never signalled; its owner then verifies', async () => {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      const mallory = seedUser(stack);
      users.push(identifier, mallory);
      const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
      const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
      const consented = await followMagicLink(waiting.authLinks[0]!.url);
      // Scalekit sends the browser back to the callback the links name; this one is the same callback on OIDC.
      const back = new URL(consented.headers.get('location')!);
      const atOidc = `${oidc.url}${back.pathname}${back.search}`;
      const verifiesBefore = stack.emulators.scalekit.control.calls(VERIFY);

      const stolen = await visitSignedIn(atOidc, mallory);
      expect(stolen.status).toBe(403);
      expect(stolen.body).toMatch(/another account/);
      expect(stack.emulators.scalekit.control.calls(VERIFY)).toBe(verifiesBefore);
      expect((await handle.query(statusQuery)).reauthSignals).toBe(0);
      const signals = (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionSignaledEventAttributes);
      expect(signals).toHaveLength(0);
      expect(outcomes.filter((o) => o.result !== 'rejected')).toHaveLength(0);

      // The refusal spent nothing: the owner signs in and the same redirect verifies.
      const own = await visitSignedIn(atOidc, identifier);
      expect(own.status).toBe(200);
      expect(own.body).toMatch(/gmail is connected/);
      expect(stack.emulators.scalekit.control.calls(VERIFY)).toBeGreaterThan(verifiesBefore);
      await expect(handle.result()).resolves.toMatchObject({ outcome: 'completed' });
    });

    it('no session or an expired one: sent to sign in (PKCE), nothing called; a sign-in that took too long: a page', async () => {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      const url = await verifyUrl(identifier);
      const verifiesBefore = stack.emulators.scalekit.control.calls(VERIFY);
      const session = (seconds: number) =>
        new SignJWT({ sub: identifier })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
          .sign(sessionKey(stack.consentKey));
      const open = async (cookie?: string) =>
        fetch(url, { redirect: 'manual', headers: cookie ? { cookie: `inbox_agent_session=${cookie}` } : {} });

      for (const res of [await open(), await open(await session(-60))]) {
        expect(res.status).toBe(303);
        const login = new URL(res.headers.get('location')!);
        expect(login.origin).toBe(oidc.issuer);
        expect(login.searchParams.get('code_challenge_method')).toBe('S256');
        expect(res.headers.getSetCookie().join('\n')).toMatch(/inbox_agent_login=.*HttpOnly.*SameSite=Lax/i);
      }
      expect(stack.emulators.scalekit.control.calls(VERIFY)).toBe(verifiesBefore);
      // The same cookie, still valid, is a session: no sign-in, on to Scalekit (which knows no ar_whatever).
      expect((await open(await session(60))).status).toBe(410);
      const verifies = stack.emulators.scalekit.control.calls(VERIFY);
      expect(verifies).toBeGreaterThan(verifiesBefore);

      // Back from the provider without the login cookie (it expired after ten minutes).
      const late = await fetch(`${oidc.url}/login/callback?code=x&state=y`, { redirect: 'manual' });
      expect(late.status).toBe(303);
      const page = await fetch(new URL(late.headers.get('location')!, oidc.url));
      expect(page.status).toBe(400);
      expect(await page.text()).toMatch(/Sign-in took too long/);
      expect(stack.emulators.scalekit.control.calls(VERIFY)).toBe(verifies);
    });

    it('ten verify attempts per user per minute: the eleventh gets 429 with Retry-After; other users are not held up', async () => {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      const url = await verifyUrl(identifier);
      const verifiesBefore = stack.emulators.scalekit.control.calls(VERIFY);
      for (let i = 0; i < 10; i++) expect((await fetch(url, { redirect: 'manual' })).status).toBe(303);
      const limited = await fetch(url, { redirect: 'manual' });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await limited.text()).toMatch(/Too many attempts/);
      // A fresh state for the same user is the same user: still limited.
      expect((await fetch(await verifyUrl(identifier, 'ar_other'), { redirect: 'manual' })).status).toBe(429);
      expect((await fetch(await verifyUrl(seedUser(stack)), { redirect: 'manual' })).status).toBe(303);
      expect(stack.emulators.scalekit.control.calls(VERIFY)).toBe(verifiesBefore);
    });
  });

  it("embedded: the router mounted in the app's own Express app takes the user from the app's session", async () => {
    // The integrator's app: its own sign-in (here a header standing in for its session cookie).
    const app = express();
    app.use((req, _res, next) => {
      (req as express.Request & { user?: string }).user = req.get('x-demo-session');
      next();
    });
    app.use(
      '/inbox-agent',
      createConsentRouter({
        state: createConsentState(stack.consentKey),
        accounts: new ScalekitConnectedAccounts({
          envUrl: stack.emulators.scalekit.url,
          clientId: stack.emulators.scalekit.clientId,
          clientSecret: stack.emulators.scalekit.clientSecret,
        }),
        inbox: stack.inbox,
        store: stack.deps.state,
        identity: embeddedIdentity((req) => (req as express.Request & { user?: string }).user),
        log: () => {},
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox-agent`;
    try {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
      const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
      const consented = await followMagicLink(waiting.authLinks[0]!.url);
      // Where the integrator mounted it: INBOX_AGENT_CALLBACK_URL would be `${base}`.
      const back = new URL(consented.headers.get('location')!);
      const mine = `${base}/verify${back.search}`;
      const as = (who?: string) => fetch(mine, { headers: who ? { 'x-demo-session': who } : {} });
      expect((await as()).status).toBe(401);
      expect((await as(seedUser(stack))).status).toBe(403);
      const done = await as(identifier);
      expect(done.status).toBe(200);
      expect(await done.text()).toMatch(/gmail is connected/);
      await expect(handle.result()).resolves.toMatchObject({ outcome: 'completed' });
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('the trusted-proxy header is ignored from an address not configured as a proxy', async () => {
    const { startCallback, parseCallbackConfig } = await import('../callback/index.js');
    const strict = await startCallback(
      parseCallbackConfig({
        ...stack.workerEnv,
        INBOX_AGENT_CONSENT_KEY: stack.consentKey,
        INBOX_AGENT_CALLBACK_PORT: '0',
        INBOX_AGENT_CALLBACK_IDENTITY: 'proxy',
        INBOX_AGENT_CALLBACK_TRUSTED_PROXIES: '10.0.0.0/8',
      }),
      stack.inbox,
      { log: () => {}, store: stack.deps.state },
    );
    try {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      const state = await createConsentState(stack.consentKey).sign({ identifier, connection: 'gmail' });
      const verifiesBefore = stack.emulators.scalekit.control.calls(VERIFY);
      const res = await stack.visit(`${strict.url}/verify?auth_request_id=ar_x&state=${state}`, identifier);
      expect(res.status).toBe(401);
      expect(stack.emulators.scalekit.control.calls(VERIFY)).toBe(verifiesBefore);
    } finally {
      await strict.close();
    }
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
      const page = await stack.visit(consented.headers.get('location')!, identifier);
      expect(page.status).toBe(200);
      await vi.waitFor(async () => expect((await schedule.describe()).state.paused).toBe(false));
      expect((await schedule.describe()).state.note).toMatch(/consent verified/);
    } finally {
      await stack.inbox.unschedule(identifier);
    }
    expect(scheduleId(identifier)).toBe(schedule.scheduleId);
  });

  /**
   * Waits until schedule listings show these users' schedules paused with `note` (listings come from
   * visibility, a moment behind `describe`), the way the reconciler finds them.
   */
  async function untilListedPaused(note: RegExp, ...identifiers: string[]) {
    await vi.waitFor(
      async () => {
        const listed = new Map<string, string | undefined>();
        for await (const s of stack.temporal.client.schedule.list()) {
          if (s.state.paused) listed.set(s.scheduleId, s.state.note);
        }
        for (const identifier of identifiers) expect(listed.get(scheduleId(identifier))).toMatch(note);
      },
      { timeout: 10_000, interval: 100 },
    );
  }

  /** Triggers the deployment's reconciler schedule (made by setup in beforeAll) and returns what its run did. */
  async function runReconciler() {
    const reconciler = stack.temporal.client.schedule.getHandle(consentReconcilerScheduleId(stack.taskQueue));
    const before = (await reconciler.describe()).info.numActionsTaken;
    await reconciler.trigger();
    const run = await vi.waitFor(
      async () => {
        const { info } = await reconciler.describe();
        if (info.numActionsTaken <= before) throw new Error('the reconciler has not run yet');
        return info.recentActions.at(-1)!.action.workflow;
      },
      { timeout: 10_000 },
    );
    return stack.temporal.client.workflow
      .getHandle<typeof consentReconciler>(run.workflowId, run.firstExecutionRunId)
      .result();
  }

  it('a waiting sweep terminated by an operator: once the user consents, the reconciler unpauses its schedule', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const schedule = await stack.inbox.schedule(identifier, { every: '1 hour', reauthTimeout: '10 minutes' });
    try {
      await schedule.trigger();
      const handle = stack.temporal.client.workflow.getHandle(sweepWorkflowId(identifier));
      await vi.waitFor(() => waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization'), { timeout: 10_000 });
      await untilListedPaused(/needs re-authorization/, identifier);
      // While it waits, the sweep owns its schedule; then it is terminated, not given up.
      expect((await runReconciler()).kept).toContainEqual({ identifier, reason: expect.stringMatching(/sweep runs/) });
      await handle.terminate('operator cleanup');
      stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
      expect((await runReconciler()).unpaused).toContain(identifier);
      expect((await schedule.describe()).state).toMatchObject({
        paused: false,
        note: expect.stringMatching(/reconciler/),
      });
    } finally {
      await stack.inbox.unschedule(identifier);
    }
  });

  it('consent by another route after a give-up: the reconciler unpauses the schedule we paused, never one an operator paused', async () => {
    const schedules = stack.temporal.client.schedule;
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const byOperator = seedUser(stack);
    const notYet = seedUser(stack, { gmail: 'EXPIRED' });
    const schedule = await stack.inbox.schedule(identifier, { every: '1 hour', reauthTimeout: '4 seconds' });
    await stack.inbox.schedule(byOperator, { every: '1 hour' });
    await stack.inbox.pauseSchedule(byOperator, 'paused for maintenance');
    await stack.inbox.schedule(notYet, { every: '1 hour' });
    expect(await pauseForConsent(schedules, notYet, 'gmail needs re-authorization')).toBe(true);
    // Another deployment's schedule (its own task queue), paused for consent: its reconciler's business.
    const elsewhere = seedUser(stack);
    await schedules.create({
      scheduleId: scheduleId(elsewhere),
      spec: { intervals: [{ every: '1 hour' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'inboxSweep',
        taskQueue: `${stack.taskQueue}-other-deployment`,
        args: [{ identifier: elsewhere }],
      },
      typedSearchAttributes: [{ key: searchAttributes.identifier, value: elsewhere }],
      state: { paused: true, note: `${CONSENT_NOTE_PREFIX}gmail needs re-authorization` },
    });
    try {
      await schedule.trigger();
      const handle = stack.temporal.client.workflow.getHandle(sweepWorkflowId(identifier));
      await vi.waitFor(() => waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization'), { timeout: 10_000 });
      await expect(handle.result()).resolves.toMatchObject({ outcome: 'reauth_timed_out' });
      await vi.waitFor(async () => expect((await schedule.describe()).state.note).toMatch(/stopped waiting/));

      // The user consents where our callback never hears of it (Scalekit's own page, another app).
      stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
      await untilListedPaused(/^inbox-agent consent: .*stopped waiting/, identifier);
      await untilListedPaused(/^inbox-agent consent: /, notYet);
      await untilListedPaused(/maintenance/, byOperator);
      await untilListedPaused(/^inbox-agent consent: /, elsewhere);
      const result = await runReconciler();
      expect(result.unpaused).toContain(identifier);
      expect(result.kept).toContainEqual({ identifier: notYet, reason: 'gmail not active' });
      const lookedAt = [...result.unpaused, ...result.kept.map((k) => k.identifier)];
      expect(lookedAt).not.toContain(byOperator);
      expect(lookedAt).not.toContain(elsewhere);

      const { state } = await schedule.describe();
      expect(state.paused).toBe(false);
      expect(state.note).toMatch(/consent reconciler/);
      const operators = await schedules.getHandle(scheduleId(byOperator)).describe();
      expect(operators.state).toMatchObject({ paused: true, note: 'paused for maintenance' });
      expect((await schedules.getHandle(scheduleId(notYet)).describe()).state.paused).toBe(true);
      expect((await schedules.getHandle(scheduleId(elsewhere)).describe()).state.paused).toBe(true);
    } finally {
      for (const user of [identifier, byOperator, notYet, elsewhere]) await stack.inbox.unschedule(user);
    }
  });
});
