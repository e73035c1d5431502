/**
 * `npm run chaos`: the fault suite. Each scenario breaks something on purpose (a worker killed with
 * SIGKILL, API faults and cut streams, the Temporal server restarted, non-retryable answers,
 * consent lost at the worst moments, two workers with one repeatedly killed) and prints what
 * survived, counted from the emulators' own state: sweeps started and completed, sessions, events,
 * vaults, and duplicates. It exits 1 when any scenario's expectation fails.
 *
 *   npm run chaos                  # the full run
 *   npm run chaos -- --small       # the reduced run CI uses
 *   npm run chaos -- --only 1,4    # some scenarios
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TemporalFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { Command, InvalidArgumentError } from 'commander';
import { dataConverter } from '../codec/data-converter.js';
import { generateKeySpec } from '../codec/keys.js';
import { WORKER_USER_AGENT } from '../activities/apis/mcp.js';
import { InboxAgentClient, type SweepReport } from '../client/index.js';
import { startDevServer } from '../scripts/dev-server.js';
import { email, pool, seeder, sleep, tally, waitFor, type Tally } from './common.js';
import { controlPlane, startEmulatorProcess, startWorkerProcess, type Child } from './processes.js';

const list = (v: string) => {
  const ns = v.split(',').map(Number);
  if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > 7)) throw new InvalidArgumentError('scenario numbers 1-7');
  return ns;
};
const opts = new Command('chaos')
  .description('the fault suite: what survives when things break')
  .option('--small', 'the reduced run for CI')
  .option('--only <list>', 'scenarios to run, e.g. 1,4', list)
  .option('--out <file>', 'where to write the figures', fileURLToPath(new URL('./chaos-results.json', import.meta.url)))
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse()
  .opts<{ small?: boolean; only?: number[]; out: string }>();
const small = opts.small ?? false;
const wanted = (n: number) => !opts.only || opts.only.includes(n);

const T = proto.temporal.api.enums.v1.EventType;
const dir = await mkdtemp(join(tmpdir(), 'inbox-agent-chaos-'));
const dbFilename = join(dir, 'temporal.db');
let server = await startDevServer({ dbFilename });
const address = server.address;
const port = Number(address.split(':').at(-1));
const namespace = server.namespace ?? 'default';
const emulators = await startEmulatorProcess();
const scalekit = controlPlane(emulators.scalekitUrl);
const agents = controlPlane(emulators.anthropicUrl);
const seed = seeder(scalekit);
// The client's own connection survives the server's restart (the server's `connection` does not).
// The deployment's data converter: the figures include encrypting and decrypting every payload.
const codecKeys = generateKeySpec('bench');
const connection = await Connection.connect({ address });
const client = new Client({ connection, namespace, dataConverter: dataConverter(codecKeys) });
const baseEnv = {
  ...emulators.env,
  TEMPORAL_ADDRESS: address,
  TEMPORAL_NAMESPACE: namespace,
  INBOX_AGENT_CODEC_KEYS: codecKeys,
  INBOX_AGENT_SEAL_KEYS: generateKeySpec('bench-seal'),
  // Shared by every worker of a scenario, as a deployment's database is.
  INBOX_AGENT_DATABASE_URL: `sqlite:${join(dir, 'state.db')}`,
};
const workers = new Set<Child>();
let workerCount = 0;
async function startWorker(taskQueue: string): Promise<Child> {
  const child = await startWorkerProcess({
    ...baseEnv,
    INBOX_AGENT_TASK_QUEUE: taskQueue,
    // Each worker its own local state: only the shared database may carry decisions.
    INBOX_AGENT_STATE_DIR: join(dir, `worker-${++workerCount}`),
  });
  workers.add(child);
  child.process.once('exit', () => workers.delete(child));
  return child;
}
const kill = async (w: Child) => {
  const exited = new Promise((r) => w.process.once('exit', r));
  w.process.kill('SIGKILL');
  await exited;
};

interface ScenarioResult {
  scenario: string;
  started: number;
  completed: number;
  tally: Tally;
  expected: Partial<Tally>;
  notes: Record<string, unknown>;
  passed: boolean;
  failures: string[];
}
const results: ScenarioResult[] = [];

/** Waits for a sweep's report, across a restarting server (a long poll then fails and is retried). */
async function outcomeOf(handle: WorkflowHandle, deadlineMs = 300_000): Promise<string> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      return ((await handle.result()) as SweepReport).outcome;
    } catch (err) {
      if (err instanceof WorkflowFailedError) return `failed: ${failureType(err)}`;
      if (Date.now() > end) return `lost: ${(err as Error).message}`;
      await sleep(500);
    }
  }
}

/** The failure's type, and the activity it came from, for the report. */
function failureType(err: unknown): string {
  let activity = '';
  for (let e = err as Error | undefined; e; e = (e as TemporalFailure).cause) {
    if (e instanceof ActivityFailure) activity = ` in ${e.activityType}`;
    if (e instanceof ApplicationFailure) return `${e.type ?? 'Error'}${activity}`;
  }
  return String(err);
}

/** Activity retries in one run, from its history: the attempt number of each started activity, less one. */
async function retriesOf(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    .reduce((n, e) => n + (e.activityTaskStartedEventAttributes?.attempt ?? 1) - 1, 0);
}

/** Work a dead worker left behind, from one run's history: activity retries and timed-out workflow tasks. */
async function interruptionsOf(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const timedOut = events.filter((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length;
  return timedOut + (await retriesOf(handle));
}

/** Whether any of the sweeps is in the given phase now. */
async function anyPhase(handles: WorkflowHandle[], phase: string): Promise<boolean> {
  const phases = await Promise.all(
    handles.map((h) =>
      h.query<{ phase: string }>('status').then(
        (s) => s.phase,
        () => undefined,
      ),
    ),
  );
  return phases.includes(phase);
}

function judge(
  scenario: string,
  users: string[],
  started: number,
  outcomes: string[],
  t: Tally,
  expected: Partial<Tally>,
  notes: Record<string, unknown> = {},
  /** The scenario's own checks that failed (kills that did not land, a failure of the wrong type). */
  failures: string[] = [],
  /** What each sweep must end with: `completed` unless the scenario says otherwise. */
  expectedOutcomes: string[] = outcomes.map(() => 'completed'),
): ScenarioResult {
  const completed = outcomes.filter((o) => o === 'completed').length;
  const byOutcome: Record<string, number> = {};
  for (const o of outcomes) byOutcome[o] = (byOutcome[o] ?? 0) + 1;
  const wrong = outcomes.flatMap((o, i) =>
    o === expectedOutcomes[i] ? [] : [`${o}, expected ${expectedOutcomes[i]}`],
  );
  if (wrong.length || completed !== started) notes = { ...notes, outcomes: byOutcome };
  if (outcomes.length !== started) failures.push(`${outcomes.length} outcomes for ${started} sweeps`);
  if (wrong.length)
    failures.push(`${wrong.length} of ${started} sweeps ended otherwise: ${[...new Set(wrong)].join('; ')}`);
  for (const [k, v] of Object.entries(expected)) {
    if (t[k as keyof Tally] !== v) failures.push(`${k}: ${t[k as keyof Tally]}, expected ${v}`);
  }
  const result = { scenario, started, completed, tally: t, expected, notes, passed: failures.length === 0, failures };
  results.push(result);
  console.log(
    `${result.passed ? 'PASS' : 'FAIL'} ${scenario}: ${completed}/${started} completed, ` +
      `${t.sessions} sessions (${t.archivedSessions} archived), ` +
      `${t.events} events (${t.duplicateEvents} duplicate), ${t.vaults} vaults (${t.extraVaults} extra), ` +
      `${t.credentials} credentials (${t.extraCredentials} extra)` +
      (Object.keys(notes).length ? `, ${JSON.stringify(notes)}` : '') +
      (failures.length ? `\n     ${failures.join('; ')}` : ''),
  );
  return result;
}
const tallyOf = (users: string[]) => tally(scalekit, emulators.anthropicUrl, users);
/**
 * What "exactly once" means for `sweeps` sweeps with one new e-mail each: one event per sweep and no
 * duplicate, one session per sweep (archived or not: a re-attach never starts a second), one vault
 * and one live credential per user.
 */
const exactlyOnce = (sweeps: number): Partial<Tally> => ({
  events: sweeps,
  duplicateEvents: 0,
  sessions: sweeps,
  extraVaults: 0,
  extraCredentials: 0,
});
/** Every user gets one more e-mail, so every sweep of the round has exactly one thing to do. */
const newMail = (users: string[], round: number) =>
  pool(users, 20, (id) => seed(id, [email(`Round ${round} for ${id}`)]));

async function scenario(n: number, name: string, body: () => Promise<void>) {
  if (!wanted(n)) return;
  console.log(`\n${n}. ${name}`);
  const t0 = Date.now();
  try {
    await body();
    results.at(-1)!.notes.seconds = Math.round((Date.now() - t0) / 1000);
  } catch (err) {
    results.push({
      scenario: `${n}. ${name}`,
      started: 0,
      completed: 0,
      tally: {} as Tally,
      expected: {},
      notes: { error: String(err) },
      passed: false,
      failures: [String(err)],
    });
    console.log(`FAIL ${n}. ${name}: ${String(err)}`);
  } finally {
    await Promise.all([scalekit.call('DELETE', '/_emulator/faults'), agents.call('DELETE', '/_emulator/faults')]);
    await agents.call('PUT', '/_emulator/step-delay', { ms: 0 });
    await Promise.all([...workers].map((w) => w.stop()));
  }
}

/**
 * A terminate (like a reset, or a history limit) runs no workflow code, so the sweep's own clean-up
 * never runs: the agent goes on. The next sweep of the user must end that session before it starts
 * its own, so every e-mail gets exactly one event and no session is left running (every session
 * ends archived: the emulator refuses to archive a running one).
 */
async function terminatedMidSession(): Promise<void> {
  const queue = 'chaos-terminate';
  const inbox = new InboxAgentClient(client, queue);
  const users = Array.from({ length: small ? 3 : 10 }, (_, i) => `terminate-${i}`);
  await startWorker(queue);
  // About 4 s per session, so a terminate within 0-4 s of its start lands anywhere in it.
  await agents.call('PUT', '/_emulator/step-delay', { ms: 500 });
  await newMail(users, 0);
  const first = await Promise.all(users.map((id) => inbox.startSweep(id)));
  let landed = 0;
  await Promise.all(
    first.map(async (handle) => {
      await waitFor(() => anyPhase([handle], 'running_session'), 60_000, 'a running session');
      await sleep(Math.random() * 4000);
      landed += await handle.terminate('chaos: terminated mid-session').then(
        () => 1,
        () => 0,
      );
    }),
  );
  await agents.call('PUT', '/_emulator/step-delay', { ms: 0 });
  const outcomes = await Promise.all(users.map((id) => inbox.startSweep(id).then((h) => outcomeOf(h))));
  const t = await tallyOf(users);
  const failures: string[] = [];
  if (landed === 0) failures.push('no terminate landed: every sweep had finished first');
  if (t.archivedSessions !== t.sessions) {
    failures.push(`${t.sessions - t.archivedSessions} of ${t.sessions} sessions left unarchived (live)`);
  }
  judge(
    '7. terminated mid-session',
    users,
    users.length,
    outcomes,
    t,
    { events: users.length, duplicateEvents: 0, extraVaults: 0, extraCredentials: 0 },
    { terminated: landed },
    failures,
    // A sweep whose terminated run had already booked its event finds it on the calendar: nothing new.
    outcomes.map((o) => (o === 'nothing_new' ? o : 'completed')),
  );
}

try {
  const setupQueue = 'chaos-setup';
  const setupWorker = await startWorker(setupQueue);
  await new InboxAgentClient(client, setupQueue).setup();
  await setupWorker.stop();

  await scenario(1, 'worker SIGKILLed at random moments, restarted each time', async () => {
    const queue = 'chaos-kill';
    const inbox = new InboxAgentClient(client, queue);
    const users = Array.from({ length: small ? 3 : 10 }, (_, i) => `kill-${i}`);
    const rounds = small ? 1 : 5;
    const killsPerRound = small ? 1 : 2;
    // About 8 s per session: longer than the kill window, so every kill lands while sweeps run.
    await agents.call('PUT', '/_emulator/step-delay', { ms: 1000 });
    let worker = await startWorker(queue);
    const outcomes: string[] = [];
    let kills = 0;
    let late = 0;
    const retries: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await newMail(users, r);
      const handles = await Promise.all(users.map((id) => inbox.startSweep(id)));
      const done = Promise.all(handles.map((h) => outcomeOf(h)));
      let finished = false;
      void done.then(() => (finished = true));
      for (let k = 0; k < killsPerRound; k++) {
        // The first kill of a round lands while an agent session runs (the case that must re-attach);
        // the others at random moments.
        if (k === 0) await waitFor(() => anyPhase(handles, 'running_session'), 60_000, 'a running session');
        await sleep(300 + Math.random() * 2500);
        if (finished) late += 1;
        await kill(worker);
        kills += 1;
        worker = await startWorker(queue);
      }
      outcomes.push(...(await done));
      retries.push(...(await Promise.all(handles.map((h) => interruptionsOf(h)))));
    }
    const t = await tallyOf(users);
    const sweeps = users.length * rounds;
    const failures: string[] = [];
    if (late) failures.push(`${late} of ${kills} kills came after every sweep of the round had finished`);
    // A kill that landed mid-work leaves a retried activity or a timed-out workflow task in a history.
    const interrupted = retries.reduce((a, b) => a + b, 0);
    if (interrupted === 0)
      failures.push('no activity retried and no workflow task timed out: the kills interrupted nothing');
    judge('1. worker SIGKILLed', users, sweeps, outcomes, t, exactlyOnce(sweeps), { kills, interrupted }, failures);
  });

  await scenario(2, '20% of API calls answer 429/500/503, 10% of session streams cut', async () => {
    const queue = 'chaos-faults';
    const inbox = new InboxAgentClient(client, queue);
    const users = Array.from({ length: small ? 4 : 10 }, (_, i) => `faults-${i}`);
    const rounds = small ? 1 : 3;
    await startWorker(queue);
    // Every route a sweep uses, learned from the counters after a first sweep (a user of its own,
    // not counted below), and those a first sweep may skip.
    await seed('faults-warm-up');
    await inbox.sweep('faults-warm-up');
    const routes = async (c: ReturnType<typeof controlPlane>) =>
      Object.keys(await c.counters()).filter((k) => !k.includes('/mcp/v3/servers/'));
    const skRoutes = [
      ...new Set([
        ...(await routes(scalekit)),
        'POST /api/v1/mcp/configs/:config_id/connected_accounts',
        'POST /api/v1/mcp/configs/:config_id/tokens',
      ]),
    ];
    const anRoutes = [
      ...new Set([
        ...(await routes(agents)),
        'POST /v1/vaults',
        'POST /v1/sessions',
        'POST /v1/sessions/:session_id/events',
        'GET /v1/sessions/:session_id/events',
        'GET /v1/sessions/:session_id/events/stream',
      ]),
    ];
    for (const [plane, keys] of [
      [scalekit, skRoutes],
      [agents, anRoutes],
    ] as const) {
      for (const route of keys) {
        for (const status of [429, 500, 503]) await plane.inject({ route, status, rate: 0.07 });
      }
    }
    // The Virtual MCP server is the agent's too, and the agent's failed tool calls are the agent's to
    // handle: only the worker's own reads and confirms are hit (its User-Agent names it).
    for (const status of [429, 500, 503]) {
      await scalekit.inject({
        route: 'POST /mcp/v3/servers/:server_id',
        userAgent: WORKER_USER_AGENT,
        status,
        rate: 0.07,
      });
    }
    await agents.inject({ route: 'GET /v1/sessions/:session_id/events/stream', cutAfterEvents: 3, rate: 0.1 });
    const outcomes: string[] = [];
    const retries: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await newMail(users, r);
      const handles = await Promise.all(users.map((id) => inbox.startSweep(id)));
      outcomes.push(...(await Promise.all(handles.map((h) => outcomeOf(h)))));
      retries.push(...(await Promise.all(handles.map((h) => retriesOf(h)))));
    }
    await Promise.all([scalekit.call('DELETE', '/_emulator/faults'), agents.call('DELETE', '/_emulator/faults')]);
    const t = await tallyOf(users);
    const sweeps = users.length * rounds;
    judge('2. API faults and cut streams', users, sweeps, outcomes, t, exactlyOnce(sweeps), {
      retriesPerSweep: Number((retries.reduce((a, b) => a + b, 0) / sweeps).toFixed(2)),
      maxRetries: Math.max(...retries),
    });
  });

  await scenario(3, 'Temporal server stopped and restarted on its database mid-fleet', async () => {
    const queue = 'chaos-restart';
    const inbox = new InboxAgentClient(client, queue);
    const users = Array.from({ length: small ? 10 : 100 }, (_, i) => `restart-${i}`);
    await agents.call('PUT', '/_emulator/step-delay', { ms: 200 });
    await startWorker(queue);
    await newMail(users, 0);
    const handles = await pool(users, 50, (id) => inbox.startSweep(id));
    await sleep(1500);
    await server.teardown();
    const downAt = Date.now();
    await sleep(2000);
    server = await startDevServer({ dbFilename, port });
    const downMs = Date.now() - downAt;
    const outcomes = await Promise.all(handles.map((h) => outcomeOf(h)));
    const t = await tallyOf(users);
    judge('3. server restart', users, users.length, outcomes, t, exactlyOnce(users.length), {
      serverDownMs: downMs,
    });
  });

  await scenario(4, 'non-retryable answers: one attempt each, a typed failure', async () => {
    const queue = 'chaos-fatal';
    const inbox = new InboxAgentClient(client, queue);
    await startWorker(queue);
    // The README's table: each status, the failure type the sweep fails with, in the session activity.
    const expectedType: Record<number, string> = {
      400: 'InvalidRequest',
      401: 'Unauthenticated',
      403: 'PermissionDenied',
      404: 'NotFound',
    };
    const users: string[] = [];
    const outcomes: string[] = [];
    const attempts: Record<string, number> = {};
    const failures: string[] = [];
    for (const [status, type] of Object.entries(expectedType)) {
      const id = `fatal-${status}`;
      users.push(id);
      await seed(id);
      await agents.inject({ route: 'POST /v1/sessions', status: Number(status), times: 1 });
      const handle = await inbox.startSweep(id);
      // A non-retryable answer fails the sweep at once: a minute is generous, five would hide retries.
      outcomes.push(await outcomeOf(handle, 60_000));
      const history = await handle.fetchHistory();
      const retried = (history.events ?? []).filter(
        (e) =>
          e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
          (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
      ).length;
      attempts[status] = retried + 1;
      if (retried > 0) failures.push(`${status}: retried (${type} must fail at once)`);
    }
    const t = await tallyOf(users);
    // The create was refused: no session, no event, and the one vault each sweep put its token in.
    judge(
      '4. non-retryable answers',
      users,
      users.length,
      outcomes,
      t,
      { sessions: 0, events: 0, vaults: users.length, extraCredentials: 0 },
      { attempts },
      failures,
      Object.values(expectedType).map((type) => `failed: ${type} in runAgentSession`),
    );
  });

  await scenario(5, 'consent lost between check and mint, and mid-session', async () => {
    const queue = 'chaos-consent';
    const inbox = new InboxAgentClient(client, queue);
    await startWorker(queue);
    const setGmail = (id: string, status: string) =>
      scalekit.call('PUT', `/_emulator/users/${id}/connections/gmail`, { status });
    const phase = async (h: WorkflowHandle) => (await h.query<{ phase: string }>('status')).phase;
    const outcomes: string[] = [];
    const users = ['consent-mint', 'consent-session'];
    await Promise.all(users.map((id) => seed(id)));

    // (a) The mint is slow; the connection expires while it is under way. The mint is a local activity:
    // the sweep answers no query until its workflow task ends, so the emulator says when it began.
    const mintRoute = 'POST /api/v1/mcp/configs/:config_id/tokens';
    const mints = async () =>
      Object.entries(await scalekit.counters())
        .filter(([route]) => route.includes('/tokens'))
        .reduce((n, [, v]) => n + v, 0);
    const mintsBefore = await mints();
    await scalekit.inject({ route: mintRoute, latencyMs: 1500, times: 1 });
    const a = await inbox.startSweep('consent-mint');
    await waitFor(async () => (await mints()) > mintsBefore, 20_000, 'the mint');
    await setGmail('consent-mint', 'EXPIRED');
    await waitFor(async () => (await phase(a)) === 'awaiting_reauthorization', 20_000, 'the wait (mint)');
    await setGmail('consent-mint', 'ACTIVE');
    await inbox.reauthorized('consent-mint', { workflowId: a.workflowId });
    outcomes.push(await outcomeOf(a));

    // (b) Consent revoked while the agent works: the sweep must not call it done.
    await agents.call('PUT', '/_emulator/step-delay', { ms: 400 });
    const b = await inbox.startSweep('consent-session');
    await waitFor(async () => (await phase(b)) === 'running_session', 20_000, 'the session');
    await setGmail('consent-session', 'EXPIRED');
    await waitFor(async () => (await phase(b)) === 'awaiting_reauthorization', 60_000, 'the wait (session)');
    await agents.call('PUT', '/_emulator/step-delay', { ms: 0 });
    await setGmail('consent-session', 'ACTIVE');
    await inbox.reauthorized('consent-session', { workflowId: b.workflowId });
    outcomes.push(await outcomeOf(b));
    const t = await tallyOf(users);
    // (b) runs two sessions: the one the revocation broke, and one after re-authorization.
    judge('5. consent lost mid-sweep', users, 2, outcomes, t, {
      events: 2,
      duplicateEvents: 0,
      sessions: 3,
      extraVaults: 0,
      extraCredentials: 0,
    });
  });

  await scenario(6, 'two workers with separate local state, one killed repeatedly', async () => {
    const queue = 'chaos-pair';
    const inbox = new InboxAgentClient(client, queue);
    const users = Array.from({ length: small ? 4 : 10 }, (_, i) => `pair-${i}`);
    const rounds = small ? 1 : 3;
    await agents.call('PUT', '/_emulator/step-delay', { ms: 100 });
    await startWorker(queue);
    let victim = await startWorker(queue);
    const outcomes: string[] = [];
    let kills = 0;
    for (let r = 0; r < rounds; r++) {
      await newMail(users, r);
      const handles = await Promise.all(users.map((id) => inbox.startSweep(id)));
      await sleep(200 + Math.random() * 1500);
      await kill(victim);
      kills += 1;
      victim = await startWorker(queue);
      outcomes.push(...(await Promise.all(handles.map((h) => outcomeOf(h)))));
    }
    const t = await tallyOf(users);
    const sweeps = users.length * rounds;
    judge('6. two workers, one killed', users, sweeps, outcomes, t, exactlyOnce(sweeps), { kills });
  });

  await scenario(7, 'sweeps terminated at random points of their session, then swept again', terminatedMidSession);
} finally {
  await writeFile(opts.out, JSON.stringify({ date: new Date().toISOString(), small, results }, null, 2) + '\n');
  await Promise.all([...workers].map((w) => w.stop()));
  await emulators.stop();
  await connection.close();
  await server.teardown();
  await rm(dir, { recursive: true, force: true });
}
const failed = results.filter((r) => !r.passed);
console.log(`\nchaos: ${results.length - failed.length} scenarios passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
