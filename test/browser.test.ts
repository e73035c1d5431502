import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startConsentStack, type ConsentStack } from './helpers/consent.js';
import { seedUser } from './helpers/demo.js';
import { sweepWorkflowId } from '../workflows/contract.js';
import { startTestStack, type TestStack } from './helpers/stack.js';
import { waitForStatus } from './helpers/wait.js';

const ensureChromium = fileURLToPath(new URL('../scripts/ensure-chromium', import.meta.url));

const shot = (name: string) => fileURLToPath(new URL(`../test-results/${name}`, import.meta.url));

/** The page is laid out by its own stylesheet (the CSP let it apply) and fits a phone's width. */
async function checkStyled(page: import('playwright-core').Page): Promise<void> {
  const box = await page.locator('main').boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThan(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(page.viewportSize()!.width);
  // Strings, not functions: they run in the page, whose DOM types this project does not load.
  expect(await page.evaluate("getComputedStyle(document.querySelector('main')).borderTopStyle")).toBe('solid');
  expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
}

/** What a person does: open the link in a browser and click Allow; what an operator sees in the Web UI. */
let browser: Browser;
beforeAll(async () => {
  const executablePath = execFileSync('bash', [ensureChromium], { encoding: 'utf8' }).trim();
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

describe('in a real browser', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('browser');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('an operator sees the waiting sweep and its link in the Temporal Web UI; the user clicks Allow', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10 minutes' });
    const waiting = await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    const link = waiting.authLinks[0]!.url;

    const page = await browser.newPage();
    try {
      const ui = inject('temporalUiUrl');
      await page.goto(
        `${ui}/namespaces/${stack.temporal.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`,
      );
      // Current details live under the run's User Metadata tab.
      await page.getByText('User Metadata', { exact: true }).click();
      // The UI renders the markdown in a sandboxed frame.
      const details = page.frameLocator('#user-metadata-current-details');
      await details.getByText('Waiting for re-authorization').waitFor({ timeout: 30_000 });
      expect(await details.getByRole('link', { name: link }).getAttribute('href')).toBe(link);
      await page.screenshot({ path: fileURLToPath(new URL('../test-results/web-ui-waiting.png', import.meta.url)) });

      await page.goto(link);
      expect(await page.textContent('body')).toContain(identifier);
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForLoadState();
      expect(await page.textContent('body')).toMatch(/connected/i);
    } finally {
      await page.close();
    }

    await stack.inbox.reauthorized(identifier, { workflowId: handle.workflowId, note: 'clicked Allow in Chromium' });
    const report = await handle.result();
    expect(report.outcome).toBe('completed');
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
  });
});

/** Nobody operates anything: the app's webhook gets the link, the user consents, our callback resumes the sweep. */
describe('the consent loop in a real browser', () => {
  let stack: ConsentStack;
  /** The people the local OIDC provider knows. */
  const oidcUsers: string[] = [];

  beforeAll(async () => {
    stack = await startConsentStack('browser-consent', { identity: 'oidc', oidcUsers });
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a scheduled sweep waits with its schedule paused; the user follows the reminder link, consents, signs in, lands on the callback; the sweep finishes', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    oidcUsers.push(identifier);
    const schedule = await stack.inbox.schedule(identifier, { every: '1 hour', reauthTimeout: '10 minutes' });
    try {
      await schedule.trigger();
      const notice = await vi.waitFor(
        () => {
          const hook = stack.webhook.delivered(identifier).find((r) => r.notice.event === 'reauthorization.needed');
          if (!hook) throw new Error('no reminder yet');
          return hook.notice;
        },
        { timeout: 20_000, interval: 100 },
      );
      expect(notice.connection).toBe('gmail');
      expect(notice.workflowId).toBe(sweepWorkflowId(identifier));
      await vi.waitFor(async () => {
        const { state } = await schedule.describe();
        expect(state.paused).toBe(true);
        expect(state.note).toMatch(/gmail needs re-authorization since/);
      });

      const page = await browser.newPage();
      try {
        await page.setViewportSize({ width: 390, height: 844 }); // a phone, where these links are opened
        await page.goto(notice.link!);
        expect(await page.textContent('body')).toContain(identifier);
        await page.screenshot({ path: shot('consent-emulated-provider.png') });
        await page.getByRole('button', { name: 'Allow' }).click();
        // No session at the callback: it sends the browser to sign in (the local OIDC provider's page).
        await page.locator('input[name="login"]').waitFor();
        expect(stack.outcomes.filter((o) => o.result !== 'rejected')).toHaveLength(0);
        await page.screenshot({ path: shot('consent-login.png') });
        await page.fill('input[name="login"]', identifier);
        await page.fill('input[name="password"]', 'any password');
        await page.click('button[type="submit"]');
        // ... and back to the verify URL, which now finishes.
        await page.getByRole('heading', { name: 'gmail is connected' }).waitFor();
        expect(page.url().startsWith(`${stack.callback.url}/verify?`)).toBe(true);
        expect(await page.textContent('body')).toMatch(/connected again/);
        await checkStyled(page);
        await page.screenshot({ path: shot('consent-callback.png') });
        // The same page opened again (back button, reload): the state is spent, a clear page.
        await page.reload();
        await page.getByRole('heading', { name: 'This link was already used' }).waitFor();
        await checkStyled(page);
        await page.screenshot({ path: shot('consent-callback-used.png') });
      } finally {
        await page.close();
      }

      const report = await stack.temporal.client.workflow.getHandle(notice.workflowId).result();
      expect(report.outcome).toBe('completed');
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
      const { state } = await schedule.describe();
      expect(state.paused).toBe(false);
      expect(state.note).toMatch(/re-authorized at/);
      // Exactly one sweep ran for the user: the one that waited, no pile of missed ticks.
      expect((await schedule.describe()).info.recentActions).toHaveLength(1);
    } finally {
      await stack.inbox.unschedule(identifier);
    }
  });
});
