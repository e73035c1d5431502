/** What the benchmark and the fault suite share: a concurrency pool, waiting, seeding and counting. */
import { InvalidArgumentError } from 'commander';
import { controlPlane } from './processes.js';

/** A commander option parser for counts and milliseconds. */
export const whole = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number');
  return n;
};

export const round = (n: number, digits = 2) => Number(n.toFixed(digits));

export const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!, i);
    }),
  );
  return results;
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000, what = 'a condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not there yet (e.g. a query before the first workflow task)
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const email = (subject: string, from = 'Dana Reyes <dana@acme.example>') => ({
  from,
  subject,
  body: 'The Q3 plan needs your review and approval by Friday; finance is waiting on it.',
});

export type ControlPlane = ReturnType<typeof controlPlane>;

/** Seeds a user (or adds mail to one): both connections as given, the e-mails appended. */
export function seeder(scalekit: ControlPlane) {
  return (identifier: string, emails = [email(`Plan ${identifier}`)], gmail = 'ACTIVE') =>
    scalekit.call('POST', '/_emulator/users', { identifier, connections: { gmail, googlecalendar: 'ACTIVE' }, emails });
}

export interface Tally {
  events: number;
  /** Calendar events whose title another event of the user already has. */
  duplicateEvents: number;
  /** Every session the users' sweeps created, archived ones included. */
  sessions: number;
  /** Of those, the ones archived (a sweep that gave up on its session archives it). */
  archivedSessions: number;
  vaults: number;
  /** Vaults beyond one per user. */
  extraVaults: number;
  credentials: number;
  extraCredentials: number;
}

/**
 * Reads the emulators' own state for these users: what a duplicate would look like, counted. The
 * state, not the API: `sessions.list` pages and leaves archived sessions out.
 */
export async function tally(scalekit: ControlPlane, agentsUrl: string, identifiers: string[]): Promise<Tally> {
  const t: Tally = {
    events: 0,
    duplicateEvents: 0,
    sessions: 0,
    archivedSessions: 0,
    vaults: 0,
    extraVaults: 0,
    credentials: 0,
    extraCredentials: 0,
  };
  for (const id of identifiers) {
    const events = (await scalekit.call('GET', `/_emulator/users/${encodeURIComponent(id)}/calendar`)) as Array<{
      summary: string;
    }>;
    t.events += events.length;
    t.duplicateEvents += events.length - new Set(events.map((e) => e.summary)).size;
  }
  const mine = new Set(identifiers);
  const state = (await fetch(new URL('/_emulator/state', agentsUrl)).then((r) => r.json())) as {
    vaults: Array<{ metadata: Record<string, string>; archived: boolean; credentials: Array<{ archived: boolean }> }>;
    sessions: Array<{ metadata: Record<string, string>; archived: boolean }>;
  };
  const vaultsPerUser = new Map<string, number>();
  for (const v of state.vaults) {
    const owner = v.metadata.inbox_agent_identifier;
    if (v.archived || !owner || !mine.has(owner)) continue;
    vaultsPerUser.set(owner, (vaultsPerUser.get(owner) ?? 0) + 1);
    const live = v.credentials.filter((c) => !c.archived).length;
    t.credentials += live;
    t.extraCredentials += Math.max(0, live - 1);
  }
  for (const n of vaultsPerUser.values()) {
    t.vaults += n;
    t.extraVaults += n - 1;
  }
  for (const s of state.sessions) {
    if (!mine.has(String(s.metadata.inbox_agent_identifier))) continue;
    t.sessions += 1;
    if (s.archived) t.archivedSessions += 1;
  }
  return t;
}
