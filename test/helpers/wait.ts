import { vi } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { sweepStatus } from '../../client/index.js';
import type { SweepStatus } from '../../workflows/contract.js';
import { followMagicLink } from './magic-link.js';

/** Polls the sweep's status (the query, plus session progress from heartbeats) until the predicate holds. */
export async function waitForStatus(
  handle: WorkflowHandle,
  predicate: (status: SweepStatus) => boolean,
  timeout = 20_000,
): Promise<SweepStatus> {
  return vi.waitFor(
    async () => {
      const status = await sweepStatus(handle);
      if (!predicate(status)) throw new Error(`status not reached yet: ${JSON.stringify(status)}`);
      return status;
    },
    { timeout, interval: 100 },
  );
}

export { followMagicLink };

/**
 * A browser's cookie store, reduced to what the consent flow needs: cookies by host (ports share
 * them, as in browsers), set and cleared by `Set-Cookie`. Hand-rolled because fetch keeps no cookies
 * and the only store libraries (tough-cookie, fetch-cookie) would be new dependencies for ~15 lines;
 * paths are ignored, which sends a cookie to more paths than a browser would, never fewer.
 */
class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  header(url: URL): string {
    return [...(this.byHost.get(url.hostname) ?? [])].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(url: URL, response: Response): void {
    const cookies = this.byHost.get(url.hostname) ?? new Map<string, string>();
    this.byHost.set(url.hostname, cookies);
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key = '', val = ''] = a.split('=').map((s) => s.trim());
        if (/^max-age$/i.test(key)) return Number(val) <= 0;
        return /^expires$/i.test(key) && Date.parse(val) <= Date.now();
      });
      if (expired) cookies.delete(name);
      else cookies.set(name, value);
    }
  }
}

/** The hidden and named inputs of a page's first form, with its action resolved against the page. */
function formOf(html: string, page: URL): { action: URL; fields: Map<string, string> } | undefined {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) return undefined;
  const fields = new Map<string, string>();
  for (const input of form[2]!.matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    if (name) fields.set(name, /value="([^"]*)"/.exec(input[0])?.[1] ?? '');
  }
  return { action: new URL(form[1]!.replaceAll('&amp;', '&'), page), fields };
}

/**
 * Clicks Allow on an emulated magic link, then does what a browser and its user do next: follows
 * every redirect with the cookies set along the way, signs in as `identifier` (any password) on the
 * OIDC provider's login page, continues on its consent page if it shows one, and returns the page
 * the redirects end on (the consent callback's, once it has verified the signed-in user).
 */
export async function consentSignedIn(
  link: string,
  identifier: string,
): Promise<{ url: string; status: number; body: string }> {
  return browseSignedIn(new URL(link), await followMagicLink(link), identifier, new CookieJar());
}

/** Opens `url` (a callback's verify URL) in a fresh browser and signs in as `identifier` wherever asked to. */
export async function visitSignedIn(
  url: string,
  identifier: string,
): Promise<{ url: string; status: number; body: string }> {
  const jar = new CookieJar();
  const first = await fetch(url, { redirect: 'manual' });
  jar.store(new URL(url), first);
  return browseSignedIn(new URL(url), first, identifier, jar);
}

async function browseSignedIn(
  start: URL,
  first: Response,
  identifier: string,
  jar: CookieJar,
): Promise<{ url: string; status: number; body: string }> {
  let response = first;
  let url = start;
  for (let step = 0; step < 20; step++) {
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      response = await fetch(url, { headers: { cookie: jar.header(url) }, redirect: 'manual' });
      jar.store(url, response);
      continue;
    }
    const body = await response.text();
    const form = response.status === 200 ? formOf(body, url) : undefined;
    const prompt = form?.fields.get('prompt');
    if (!form || (prompt !== 'login' && prompt !== 'consent')) return { url: url.href, status: response.status, body };
    if (prompt === 'login') {
      form.fields.set('login', identifier);
      form.fields.set('password', 'any password');
    }
    url = form.action;
    response = await fetch(url, {
      method: 'POST',
      headers: { cookie: jar.header(url), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([...form.fields]).toString(),
      redirect: 'manual',
    });
    jar.store(url, response);
  }
  throw new Error(`consent for ${identifier} did not settle on a page within 20 steps (at ${url.href})`);
}
