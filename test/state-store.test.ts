import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../activities/index.js';
import { openUserStateStore } from '../activities/state/index.js';
import type { HandledMessage, UserStateStore } from '../activities/user-state.js';
import { MemoryUserStateStore } from './helpers/memory-state.js';
import { parseWorkerConfig } from '../worker/config.js';
import { buildActivityDeps } from '../worker/deps.js';
import { INVOICE_EMAIL, seedUser, vaultsOf } from './helpers/demo.js';
import { freshPostgresDatabase } from './helpers/postgres.js';
import { startTestStack, type TestStack } from './helpers/stack.js';
import { uniqueName } from './helpers/temporal.js';

/** A database that several connections can open, as several workers would. */
interface Backend {
  /** A new connection to the same database (memory: the same in-process store). */
  connect(): Promise<UserStateStore>;
  dispose(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend & { url: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'inbox-agent-state-'));
  const url = `sqlite:${join(dir, 'nested', 'state.db')}`;
  return { url, connect: () => openUserStateStore(url), dispose: () => rm(dir, { recursive: true, force: true }) };
}

async function postgresBackend(): Promise<Backend & { url: string }> {
  const db = await freshPostgresDatabase();
  return { url: db.url, connect: () => openUserStateStore(db.url), dispose: db.drop };
}

function memoryBackend(): Backend {
  const shared = new MemoryUserStateStore();
  return { connect: async () => shared, dispose: async () => {} };
}

const entry = (messageId: string, patch: Partial<HandledMessage> = {}): HandledMessage => ({
  messageId,
  disposition: 'event',
  eventId: `evt-${messageId}`,
  handledAt: '2026-11-25T10:00:00.000Z',
  runId: 'run-1',
  ...patch,
});

const byId = (list: HandledMessage[]) => [...list].sort((a, b) => a.messageId.localeCompare(b.messageId));

describe.each([
  ['memory', async () => memoryBackend()],
  ['SQLite', sqliteBackend],
  ['PostgreSQL', postgresBackend],
])('UserStateStore contract: %s', (_name, makeBackend) => {
  let backend: Backend;
  let store: UserStateStore;
  const opened: UserStateStore[] = [];
  const connect = async () => {
    const connection = await backend.connect();
    opened.push(connection);
    return connection;
  };

  beforeAll(async () => {
    backend = await makeBackend();
    // Two workers starting together on an empty database: each creates the schema only once.
    [store] = await Promise.all([connect(), connect()]);
  });
  afterAll(async () => {
    for (const connection of opened) await connection.close();
    await backend?.dispose();
  });

  it('spends a consent state once, even when two connections spend it at once', async () => {
    const expires = new Date(Date.now() + 60_000);
    const other = await connect();
    const results = await Promise.all([
      store.spendConsentState('st-1', expires),
      other.spendConsentState('st-1', expires),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await store.spendConsentState('st-1', expires)).toBe(false);
    expect(await store.spendConsentState('st-2', expires)).toBe(true);
  });

  it('remembers and replaces a vault per identifier', async () => {
    const [alice, bob] = [uniqueName('alice'), uniqueName('bob')];
    expect(await store.getVault(alice)).toBeUndefined();
    await store.setVault(alice, { vaultId: 'vlt_1', credentialId: 'cred_1' });
    await store.setVault(bob, { vaultId: 'vlt_b', credentialId: 'cred_b' });
    expect(await store.getVault(alice)).toEqual({ vaultId: 'vlt_1', credentialId: 'cred_1' });
    await store.setVault(alice, { vaultId: 'vlt_2', credentialId: 'cred_2' });
    expect(await store.getVault(alice)).toEqual({ vaultId: 'vlt_2', credentialId: 'cred_2' });
    expect(await store.getVault(bob)).toEqual({ vaultId: 'vlt_b', credentialId: 'cred_b' });
  });

  it('a vault claim: the first wins, racers read it back, only a gone vault is replaced', async () => {
    const user = uniqueName('carol');
    const claims = await Promise.all(['vlt_a', 'vlt_b', 'vlt_c'].map((id) => store.claimVault(user, id)));
    const won = claims[0]!.vaultId;
    expect(claims).toEqual(claims.map(() => ({ vaultId: won, credentialId: '' })));
    expect(await store.hasVaults()).toBe(true);
    await store.setVault(user, { vaultId: won, credentialId: 'cred_1' });
    expect(await store.claimVault(user, 'vlt_d')).toEqual({ vaultId: won, credentialId: 'cred_1' });
    expect(await store.claimVault(user, 'vlt_e', 'vlt_other')).toEqual({ vaultId: won, credentialId: 'cred_1' });
    expect(await store.claimVault(user, 'vlt_f', won)).toEqual({ vaultId: 'vlt_f', credentialId: '' });
  });

  it('marks messages handed to an agent; a first counted attempt on one still counts 1', async () => {
    const user = uniqueName('dan');
    expect(await store.handedOverAmong(user, ['m1', 'm2'])).toEqual(new Set());
    await store.markHandedOver(user, ['m1']);
    await store.markHandedOver(user, ['m1']);
    expect(await store.handedOverAmong(user, ['m1', 'm2'])).toEqual(new Set(['m1']));
    const attempt = { id: 'sesn_1', reason: 'ended end_turn', at: new Date().toISOString() };
    expect(await store.countAttempts(user, ['m1', 'm2'], attempt)).toEqual(
      new Map([
        ['m1', 1],
        ['m2', 1],
      ]),
    );
    expect(await store.handedOverAmong(user, ['m1', 'm2'])).toEqual(new Set(['m1', 'm2']));
  });

  it('records handled messages idempotently and reports only those among the ids asked about', async () => {
    const user = uniqueName('user');
    const noAction = entry('m2', { disposition: 'no_action', eventId: undefined, runId: undefined });
    await store.recordHandled(user, [entry('m1'), noAction]);
    await store.recordHandled(user, [entry('m1'), noAction]);
    expect(await store.handledAmong(user, ['m3', 'm2', 'm1'])).toEqual([noAction, entry('m1')]);
    expect(await store.handledAmong(user, ['m3'])).toEqual([]);
    expect(await store.handledAmong(user, [])).toEqual([]);
    await store.recordHandled(user, []);
    // Another user's ledger is separate, even for the same message id.
    expect(await store.handledAmong(uniqueName('other'), ['m1'])).toEqual([]);
  });

  it('keeps the first record of a message, within one call and across calls', async () => {
    const user = uniqueName('user');
    await store.recordHandled(user, [entry('m1', { eventId: 'first' }), entry('m1', { eventId: 'second' })]);
    await store.recordHandled(user, [entry('m1', { eventId: 'third', disposition: 'no_action' })]);
    expect(await store.handledAmong(user, ['m1'])).toEqual([entry('m1', { eventId: 'first' })]);
  });

  it('answers for more ids than one statement binds', async () => {
    const user = uniqueName('user');
    const ids = Array.from({ length: 450 }, (_, i) => `msg-${i}`);
    await store.recordHandled(
      user,
      ids.filter((_, i) => i % 3 !== 0).map((id) => entry(id)),
    );
    const found = await store.handledAmong(user, [...ids].reverse().concat(ids));
    expect(found.map((f) => f.messageId)).toEqual(ids.filter((_, i) => i % 3 !== 0).reverse());
  });

  it('two connections recording the same messages at once agree on one record each', async () => {
    const user = uniqueName('user');
    const [a, b] = await Promise.all([connect(), connect()]);
    const ids = Array.from({ length: 40 }, (_, i) => `m${i}`);
    await Promise.all(
      ids.flatMap((id) => [
        a.recordHandled(user, [entry(id, { eventId: `a-${id}`, runId: 'a' })]),
        b.recordHandled(user, [entry(id, { eventId: `b-${id}`, runId: 'b' })]),
      ]),
    );
    const [seenByA, seenByB] = await Promise.all([a.handledAmong(user, ids), b.handledAmong(user, ids)]);
    expect(byId(seenByA)).toEqual(byId(seenByB));
    expect(seenByA).toHaveLength(ids.length);
    for (const record of seenByA) expect(record.eventId).toBe(`${record.runId}-${record.messageId}`);
  });

  it('counts each attempt once, sets a message aside as gave_up with its reason, and retry brings it back', async () => {
    const user = uniqueName('user');
    const at = '2026-11-25T10:00:00.000Z';
    const attempt = (id: string) => ({ id, reason: `session ${id} ended: refusal`, at });
    expect(await store.countAttempts(user, ['p', 'q'], attempt('s1'))).toEqual(
      new Map([
        ['p', 1],
        ['q', 1],
      ]),
    );
    // The same session counted again (a retried activity) is not a second attempt.
    expect(await store.countAttempts(user, ['p'], attempt('s1'))).toEqual(new Map([['p', 1]]));
    expect(await store.countAttempts(user, ['p'], attempt('s2'))).toEqual(new Map([['p', 2]]));
    expect(await store.countAttempts(user, ['p'], attempt('s3'))).toEqual(new Map([['p', 3]]));
    const gaveUp = entry('p', { disposition: 'gave_up', eventId: undefined, reason: attempt('s3').reason });
    const denied = entry('d', { disposition: 'denied', eventId: undefined, reason: 'the user denied it' });
    await store.recordHandled(user, [gaveUp, denied]);
    expect(await store.handledAmong(user, ['p', 'd'])).toEqual([gaveUp, denied]);
    // Only a message set aside comes back; an event or a denial stays recorded.
    expect(await store.retryMessage(user, 'd')).toBe(false);
    expect(await store.retryMessage(user, 'p')).toBe(true);
    expect(await store.retryMessage(user, 'p')).toBe(false);
    expect(await store.handledAmong(user, ['p', 'd'])).toEqual([denied]);
    // It stays marked as handed over (the next read looks for its event first), and its count starts over.
    expect(await store.handedOverAmong(user, ['p', 'd'])).toEqual(new Set(['p']));
    expect(await store.countAttempts(user, ['p'], attempt('s4'))).toEqual(new Map([['p', 1]]));
  });

  it("keeps each user's approval mode, auto until set", async () => {
    const [alice, bob] = [uniqueName('alice'), uniqueName('bob')];
    expect(await store.getApprovalMode(alice)).toBe('auto');
    await store.setApprovalMode(alice, 'ask');
    expect(await store.getApprovalMode(alice)).toBe('ask');
    expect(await store.getApprovalMode(bob)).toBe('auto');
    await store.setApprovalMode(alice, 'auto');
    expect(await store.getApprovalMode(alice)).toBe('auto');
  });

  it('keeps everything across a reopen, and opening again (even twice at once) migrates nothing twice', async () => {
    const user = uniqueName('user');
    const first = await connect();
    await first.setVault(user, { vaultId: 'vlt_keep', credentialId: 'cred_keep' });
    await first.recordHandled(user, [entry('kept')]);
    await first.close();
    const [again] = await Promise.all([connect(), connect()]);
    expect(await again!.getVault(user)).toEqual({ vaultId: 'vlt_keep', credentialId: 'cred_keep' });
    expect(await again!.handledAmong(user, ['kept'])).toEqual([entry('kept')]);
  });
});

describe.each([
  ['PostgreSQL', postgresBackend],
  ['SQLite', sqliteBackend],
])('workers sharing one %s database (real workers, dev server, emulators)', (_name, makeBackend) => {
  let stack: TestStack;
  let database: Backend & { url: string };
  const dirs: string[] = [];
  const opened: ActivityDeps[] = [];

  /** A worker's deps as worker/main.ts builds them: its own state directory and its own connection. */
  async function workerDeps(): Promise<ActivityDeps> {
    const stateDir = await mkdtemp(join(tmpdir(), 'inbox-agent-worker-'));
    dirs.push(stateDir);
    const config = parseWorkerConfig({
      ...stack.workerEnv,
      INBOX_AGENT_STATE_DIR: stateDir,
      INBOX_AGENT_DATABASE_URL: database.url,
    });
    const deps = await buildActivityDeps(config, stack.temporal.client);
    opened.push(deps);
    return deps;
  }

  /** One sweep of `identifier` on a worker with `deps`, the only one polling the queue meanwhile. */
  async function sweepOn(deps: ActivityDeps, identifier: string, subject?: string) {
    if (subject) stack.emulators.scalekit.addEmail(identifier, { ...INVOICE_EMAIL, subject });
    const worker = await stack.startWorker(deps);
    try {
      return await stack.inbox.sweep(identifier);
    } finally {
      await worker.stop();
    }
  }

  beforeAll(async () => {
    stack = await startTestStack('shared-state');
    database = await makeBackend();
    const setupWorker = await stack.startWorker();
    await stack.inbox.setup();
    await setupWorker.stop();
  });
  afterAll(async () => {
    for (const deps of opened) await deps.state.close();
    await stack?.close();
    await database?.dispose();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('after the first sweep no worker lists vaults; all use the same vault, credential and ledger', async () => {
    const identifier = seedUser(stack, {}, []);
    const [a, b] = [await workerDeps(), await workerDeps()];
    const listings = () => stack.emulators.agents.control.calls('GET /v1/vaults');

    const first = await sweepOn(a, identifier, 'First');
    expect(first.vault?.created).toBe(true);
    const afterFirst = listings();
    expect(afterFirst).toBeGreaterThan(0);

    const later = [];
    for (const [deps, subject] of [
      [b, 'Second'],
      [a, 'Third'],
      [b, 'Fourth'],
    ] as const) {
      later.push(await sweepOn(deps, identifier, subject));
    }
    // A worker that never ran here, on an empty state directory, only the database in common.
    later.push(await sweepOn(await workerDeps(), identifier, 'Fifth'));

    expect(listings()).toBe(afterFirst);
    for (const report of later) {
      expect(report.vault).toEqual({
        vaultId: first.vault!.vaultId,
        credentialId: first.vault!.credentialId,
        created: false,
      });
    }
    expect(vaultsOf(stack, identifier)).toHaveLength(1);
    expect(await b.state.getVault(identifier)).toEqual({
      vaultId: first.vault!.vaultId,
      credentialId: first.vault!.credentialId,
    });
    expect(stack.emulators.scalekit.calendarEvents(identifier).map((e) => e.summary)).toEqual(
      ['First', 'Second', 'Third', 'Fourth', 'Fifth'].map((s) => `Action Required: ${s}`),
    );

    // The ledger that all of them wrote, read through yet another connection: one event per e-mail.
    const fresh = await workerDeps();
    const messageIds = stack.emulators.scalekit.emails(identifier).map((m) => m.id);
    const ledger = await fresh.state.handledAmong(identifier, messageIds);
    expect(ledger.map((h) => [h.messageId, h.disposition, h.eventId])).toEqual(
      stack.emulators.scalekit.calendarEvents(identifier).map((e, i) => [messageIds[i], 'event', e.id]),
    );
    // Nothing new: that worker decides so from the shared ledger alone, with no session and no vault call.
    const sessions = stack.emulators.agents.sessions().length;
    const idle = await sweepOn(fresh, identifier);
    expect(idle.outcome).toBe('nothing_new');
    expect(idle.sessions).toBe(0);
    expect(stack.emulators.agents.sessions()).toHaveLength(sessions);
    expect(listings()).toBe(afterFirst);
  });
});
