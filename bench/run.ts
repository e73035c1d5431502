/**
 * `npm run bench`: what durability costs and what one worker carries. Prints a table and writes
 * bench/results.json. Times are figures, never asserted; outcomes are: the run exits 1 when any sweep
 * it measured ended otherwise than it must (every sweep with new mail `completed`, every idle one
 * `nothing_new`), and prints the outcomes it saw.
 *
 *   npm run bench                      # the full run: 1,000 users, 10,000 schedules
 *   npm run bench -- --small           # the reduced run CI uses to keep this script working
 *
 * A real in-memory Temporal dev server; the emulators in their own process with a latency per API
 * call and a paced agent; the worker in its own process, so its CPU time and peak RSS are its own.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Command } from 'commander';
import { dataConverter } from '../codec/data-converter.js';
import { generateKeySpec } from '../codec/keys.js';
import { InboxAgentClient, statusQuery, type SweepReport } from '../client/index.js';
import { startDevServer } from '../scripts/dev-server.js';
import { freePort } from '../test/helpers/ports.js';
import { createPlainSweeper } from './plain.js';
import { benchTables, type BenchFigures } from './tables.js';
import { email, percentile as pct, pool, round, seeder, tally, waitFor, whole } from './common.js';
import { simulatedLongWait } from './long-wait.js';
import { capacityModel } from './capacity.js';
import { scheduledTick, historyCost, scheduledTickCost, type HistoryCost } from './temporal-cost.js';
import {
  compiledWorker,
  controlPlane,
  processFigures,
  startEmulatorProcess,
  startWorkerProcess,
  type Child,
} from './processes.js';

const cli = new Command('bench')
  .description('durability tax, fleet, idle fleet, schedules and Temporal cost per sweep')
  .option('--small', 'the reduced run for CI (20 users, 200 schedules, 4 rounds)')
  .option('--users <n>', 'fleet size', whole, 1000)
  .option('--rounds <n>', 'sweeps per side in the durability-tax comparison', whole, 20)
  .option('--schedules <n>', 'per-user schedules to create', whole, 10_000)
  .option('--latency-ms <n>', 'added to every emulated API call', whole, 50)
  .option(
    '--step-ms <n>',
    'pause before each step of the emulated agent (a model turn is about two steps)',
    whole,
    1000,
  )
  .option('--max-activities <n>', "the worker's concurrent activity slots", whole, 2000)
  .option(
    '--worker-processes <n>',
    'worker processes on the task queue (as `npm run worker -- --processes n`)',
    whole,
    1,
  )
  .option('--max-cached-workflows <n>', "each worker's sticky workflow cache (INBOX_AGENT_MAX_CACHED_WORKFLOWS)", whole)
  .option(
    '--max-workflow-tasks <n>',
    "each worker's concurrent workflow tasks (INBOX_AGENT_MAX_CONCURRENT_WORKFLOW_TASKS)",
    whole,
  )
  .option(
    '--max-local-activities <n>',
    "each worker's local activity slots (INBOX_AGENT_MAX_CONCURRENT_LOCAL_ACTIVITIES)",
    whole,
  )
  .option('--profile-dir <dir>', "write each worker process's V8 CPU profile there (node --cpu-prof; compiled worker)")
  .option(
    '--worker-heap-mib <n>',
    "each worker process's V8 heap: --max-old-space-size=<n> and --max-semi-space-size=4 (compiled worker)",
    whole,
  )
  .option('--long-wait-days <n>', 'simulated days of the consent wait (default 30, 2 with --small; 0 skips it)', whole)
  .option(
    '--long-wait-budget <n>',
    "the waiting sweep's history budget (default the product's, 150 with --small: it continues as new twice)",
    whole,
  )
  .option('--out <file>', 'where to write the figures (default bench/results.json, or results-small.json with --small)')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse();
const raw = cli.opts<{
  small?: boolean;
  longWaitDays?: number;
  profileDir?: string;
  workerHeapMib?: number;
  longWaitBudget?: number;
  users: number;
  rounds: number;
  schedules: number;
  latencyMs: number;
  stepMs: number;
  maxActivities: number;
  workerProcesses: number;
  maxCachedWorkflows?: number;
  maxWorkflowTasks?: number;
  maxLocalActivities?: number;
  out?: string;
}>();
const opts = raw.small
  ? { ...raw, users: Math.min(raw.users, 20), rounds: Math.min(raw.rounds, 4), schedules: Math.min(raw.schedules, 200) }
  : raw;
const out = fileURLToPath(new URL(raw.small ? './results-small.json' : './results.json', import.meta.url));
const outFile = raw.out ?? out;

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1) },
  worker: compiledWorker ? 'compiled (dist/, prebuilt workflow bundle)' : 'from source (tsx, bundles at start)',
  options: opts,
};
const log = (line = '') => console.log(line);

// This process runs a worker of its own (the simulated long wait): its activities' info lines would
// bury the figures.
Runtime.install({ logger: new DefaultLogger('WARN') });
// The server's metrics: recorded heartbeats are billable actions that leave no history event.
const metricsPort = await freePort();
const server = await startDevServer({ metricsPort });
const namespace = server.namespace ?? 'default';
const emulators = await startEmulatorProcess();
const scalekit = controlPlane(emulators.scalekitUrl);
const agents = controlPlane(emulators.anthropicUrl);
const taskQueue = 'bench';
// The deployment's data converter: the figures include encrypting and decrypting every payload.
const codecKeys = generateKeySpec('bench');
const workerEnv = {
  ...emulators.env,
  TEMPORAL_ADDRESS: server.address,
  TEMPORAL_NAMESPACE: namespace,
  INBOX_AGENT_TASK_QUEUE: taskQueue,
  INBOX_AGENT_CODEC_KEYS: codecKeys,
  INBOX_AGENT_SEAL_KEYS: generateKeySpec('bench-seal'),
  INBOX_AGENT_STATE_DIR: `/tmp/inbox-agent-bench-${process.pid}`,
  INBOX_AGENT_MAX_CONCURRENT_ACTIVITIES: String(opts.maxActivities),
  ...(opts.maxCachedWorkflows !== undefined
    ? { INBOX_AGENT_MAX_CACHED_WORKFLOWS: String(opts.maxCachedWorkflows) }
    : {}),
  ...(opts.maxWorkflowTasks !== undefined
    ? { INBOX_AGENT_MAX_CONCURRENT_WORKFLOW_TASKS: String(opts.maxWorkflowTasks) }
    : {}),
  ...(opts.maxLocalActivities !== undefined
    ? { INBOX_AGENT_MAX_CONCURRENT_LOCAL_ACTIVITIES: String(opts.maxLocalActivities) }
    : {}),
};
// Several processes on one task queue (one per core in production): started one by one, each its own
// pid, so CPU and peak RSS are read per process (summed for CPU; the largest and the sum for RSS).
// A bounded heap trades CPU (more frequent collections) for RSS; on the worker only, as a deployment
// would set it (NODE_OPTIONS), not on the emulators or this driver.
const workerNodeArgs = [
  ...(raw.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${raw.profileDir}`] : []),
  ...(raw.workerHeapMib ? [`--max-old-space-size=${raw.workerHeapMib}`, '--max-semi-space-size=4'] : []),
];
const workers: Child[] = [];
for (let i = 0; i < Math.max(1, opts.workerProcesses); i++)
  workers.push(await startWorkerProcess(workerEnv, workerNodeArgs));
const workerFigures = () => {
  const each = workers.map((w) => processFigures(w.pid));
  return {
    cpuSeconds: each.reduce((n, f) => n + f.cpuSeconds, 0),
    peakRss: Math.max(...each.map((f) => f.peakRss)),
    peakRssSum: each.reduce((n, f) => n + f.peakRss, 0),
  };
};
const client = new Client({ connection: server.connection, namespace, dataConverter: dataConverter(codecKeys) });
const inbox = new InboxAgentClient(client, taskQueue);

const seed = seeder(scalekit);
/** Emulator call counters summed by API, for per-sweep figures. */
async function counters() {
  const [sk, an] = await Promise.all([scalekit.counters(), agents.counters()]);
  const sum = (c: Record<string, number>, f: (k: string) => boolean) =>
    Object.entries(c).reduce((n, [k, v]) => n + (f(k) ? v : 0), 0);
  return {
    scalekit: sum(sk, (k) => !k.includes('/mcp/v3/servers/')),
    mcp: sum(sk, (k) => k.includes('/mcp/v3/servers/')),
    anthropic: sum(an, () => true),
    sessions: an['POST /v1/sessions'] ?? 0,
    vaultWrites: sum(an, (k) => k.startsWith('POST /v1/vaults')),
  };
}
type Counters = Awaited<ReturnType<typeof counters>>;
/**
 * Heartbeats the server recorded so far: its count of `RecordActivityTaskHeartbeat` calls, the
 * heartbeats the worker's SDK actually sent after its throttle (each one a billable action).
 */
async function heartbeatsRecorded(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('service_requests{') && /operation="RecordActivityTaskHeartbeat(ById)?"/.test(line))
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}
/** Calendar events of the two tax users, from the emulator's own state. */
async function taxEvents(): Promise<{ worker: number; plain: number }> {
  const [worker, plain] = await Promise.all(
    ['tax-worker', 'tax-plain'].map(async (id) => (await tally(scalekit, emulators.anthropicUrl, [id])).events),
  );
  return { worker: worker!, plain: plain! };
}
/** Sweeps that ended otherwise than they must; the run fails on any. */
const wrongOutcomes: string[] = [];
function expectOutcomes(label: string, outcomes: Record<string, number>, expected: string): void {
  const wrong = Object.entries(outcomes).filter(([o]) => o !== expected);
  if (wrong.length) wrongOutcomes.push(`${label}: expected every sweep ${expected}, saw ${JSON.stringify(outcomes)}`);
}
const zeroCounters: Counters = { scalekit: 0, mcp: 0, anthropic: 0, sessions: 0, vaultWrites: 0 };
const perSweep = (before: Counters, after: Counters, n: number) =>
  Object.fromEntries(
    Object.keys(after).map((k) => [k, round((after[k as keyof Counters] - before[k as keyof Counters]) / n)]),
  );

try {
  const provisioned = await inbox.setup();
  // Latency and pacing after setup, so they shape sweeps only.
  await scalekit.inject({ route: '*', latencyMs: opts.latencyMs });
  await agents.inject({ route: '*', latencyMs: opts.latencyMs });
  log(
    `inbox-agent bench: ${opts.latencyMs} ms per API call, ${opts.stepMs} ms per agent step, worker ${String(results.worker)}`,
  );

  // 1. Durability tax: the same flow, one at a time, alternating worker and plain script. Twice: the
  // harsh case first (the emulated agent answers at once, so only the overhead is timed), then with
  // the paced agent (`--step-ms`, about 8 s per session), whose p50 is the fleet's critical path.
  const plain = createPlainSweeper(emulators.env as never, provisioned);
  const taxRounds = async (stepMs: number) => {
    await agents.call('PUT', '/_emulator/step-delay', { ms: stepMs });
    await Promise.all([seed('tax-worker', []), seed('tax-plain', [])]);
    const tax = { worker: [] as number[], plain: [] as number[], heartbeats: [] as number[] };
    /** The calls of a returning user's sweep with new mail, summed over the rounds (the fleet's are first sweeps). */
    let returning: Counters | undefined;
    for (let r = 0; r <= opts.rounds; r++) {
      // Subjects unique per phase: the guide's agent looks for an event by title before it books, and
      // one left by the harsh phase's same round would let the paced baseline skip its booking.
      const subject = `${stepMs} ms steps, round ${r}`;
      await Promise.all([
        seed('tax-worker', [email(`Worker ${subject}`)]),
        seed('tax-plain', [email(`Plain ${subject}`)]),
      ]);
      const eventsBefore = await taxEvents();
      const heartbeatsBefore = await heartbeatsRecorded();
      const callsBefore = await counters();
      let t0 = performance.now();
      const report = await inbox.sweep('tax-worker');
      const workerMs = performance.now() - t0;
      tax.heartbeats.push((await heartbeatsRecorded()) - heartbeatsBefore);
      const callsAfter = await counters();
      if (r > 0) {
        const sum = returning;
        returning = Object.fromEntries(
          Object.entries(callsAfter).map(([k, v]) => [
            k,
            v - callsBefore[k as keyof Counters] + (sum?.[k as keyof Counters] ?? 0),
          ]),
        ) as Counters;
      }
      t0 = performance.now();
      const plainOutcome = await plain('tax-plain');
      const plainMs = performance.now() - t0;
      // Both sides must have done the whole job: one booked event each, or the ratio compares less work.
      const eventsAfter = await taxEvents();
      for (const side of ['worker', 'plain'] as const) {
        const booked = eventsAfter[side] - eventsBefore[side];
        if (booked !== 1)
          wrongOutcomes.push(`tax round ${r}, ${stepMs} ms steps (${side}): booked ${booked} events, not 1`);
      }
      expectOutcomes(`tax round ${r}, ${stepMs} ms steps (worker)`, { [report.outcome]: 1 }, 'completed');
      expectOutcomes(`tax round ${r}, ${stepMs} ms steps (plain)`, { [plainOutcome.outcome]: 1 }, 'completed');
      // Round 0 creates vaults on both sides: warm-up, not counted.
      if (r > 0) {
        tax.worker.push(workerMs);
        tax.plain.push(plainMs);
      }
    }
    const figures = {
      stepMs,
      workerP50Ms: round(pct(tax.worker, 50), 0),
      workerP99Ms: round(pct(tax.worker, 99), 0),
      plainP50Ms: round(pct(tax.plain, 50), 0),
      plainP99Ms: round(pct(tax.plain, 99), 0),
      ratioP50: round(pct(tax.worker, 50) / pct(tax.plain, 50)),
      ratioP99: round(pct(tax.worker, 99) / pct(tax.plain, 99)),
      heartbeatsPerSweep: round(tax.heartbeats.reduce((a, b) => a + b, 0) / tax.heartbeats.length),
      returningUserPerSweep: returning ? perSweep(zeroCounters, returning, opts.rounds) : {},
    };
    log(
      `durability tax, ${stepMs} ms per agent step: worker p50 ${figures.workerP50Ms} ms / p99 ${figures.workerP99Ms} ms; ` +
        `plain p50 ${figures.plainP50Ms} ms / p99 ${figures.plainP99Ms} ms; ratio p50 ${figures.ratioP50}`,
    );
    return figures;
  };
  results.durabilityTaxHarsh = await taxRounds(0);
  const taxFigures = await taxRounds(opts.stepMs);
  results.durabilityTax = taxFigures;

  // 2. Fleet: every user triggered at once.
  const users = Array.from({ length: opts.users }, (_, i) => `fleet-${i}`);
  await pool(users, 50, (id) => seed(id));
  const fleetRound = async (label: string, expected: string) => {
    const before = await counters();
    const heartbeatsBefore = await heartbeatsRecorded();
    const cpuBefore = workerFigures().cpuSeconds;
    const t0 = performance.now();
    const handles = await pool(users, 100, (id) => inbox.startSweep(id));
    const reports = await Promise.all(
      handles.map((h) =>
        h.result().then(
          (r: SweepReport) => r,
          (err: Error) => ({ outcome: `error: ${err.message}` }),
        ),
      ),
    );
    const wallMs = performance.now() - t0;
    const after = await counters();
    const heartbeats = (await heartbeatsRecorded()) - heartbeatsBefore;
    const figures = workerFigures();
    const outcomes: Record<string, number> = {};
    for (const r of reports) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    expectOutcomes(label, outcomes, expected);
    return {
      label,
      users: users.length,
      wallMs: round(wallMs, 0),
      sweepsPerSecond: round((users.length / wallMs) * 1000),
      workerCpuSecondsPerSweep: round((figures.cpuSeconds - cpuBefore) / users.length, 4),
      // Per process (the largest); with several processes, their sum too.
      workerPeakRssMiB: round(figures.peakRss / 2 ** 20, 0),
      ...(workers.length > 1
        ? { workerProcesses: workers.length, workersPeakRssSumMiB: round(figures.peakRssSum / 2 ** 20, 0) }
        : {}),
      outcomes,
      perSweep: { ...perSweep(before, after, users.length), heartbeats: round(heartbeats / users.length) },
      // The run, not just the workflow id: a user's later sweeps may reuse the id.
      last: { workflowId: handles.at(-1)!.workflowId, runId: handles.at(-1)!.firstExecutionRunId },
    };
  };
  const fleet = await fleetRound('fleet: one new email each', 'completed');
  const criticalPathMs = taxFigures.workerP50Ms;
  results.fleet = { ...fleet, criticalPathMs, targetWallMs: 2 * criticalPathMs + 10_000 };
  log(
    `fleet of ${fleet.users}: wall ${fleet.wallMs} ms (target ≤ ${2 * criticalPathMs + 10_000}), ` +
      `${fleet.sweepsPerSecond} sweeps/s, ${fleet.workerCpuSecondsPerSweep} worker CPU-s per sweep, ` +
      `worker peak RSS ${fleet.workerPeakRssMiB} MiB, outcomes ${JSON.stringify(fleet.outcomes)}`,
  );

  // 3. Idle fleet: the same users with nothing new.
  const idle = await fleetRound('idle fleet: nothing new', 'nothing_new');
  results.idleFleet = idle;
  log(
    `idle fleet of ${idle.users}: ${idle.sweepsPerSecond} sweeps/s, per sweep ${JSON.stringify(idle.perSweep)}, ` +
      `outcomes ${JSON.stringify(idle.outcomes)}`,
  );

  // 3b. Idle scheduled ticks: the same users' schedules triggered (50 at a time) with nothing new,
  // as an idle fleet runs in production: each tick's ticket looks and ends, starting no sweep.
  // A day apart, so no tick of their own falls within the few seconds measured.
  await pool(users, 50, (id) => inbox.schedule(id, { every: '24 hours' }));
  const cpuBeforeTicks = workerFigures().cpuSeconds;
  const ticksStarted = performance.now();
  const tickOutcomes: Record<string, number> = {};
  await pool(users, 50, async (id) => {
    const { outcome } = await scheduledTick(client, inbox, id);
    tickOutcomes[outcome] = (tickOutcomes[outcome] ?? 0) + 1;
  });
  const ticksWallMs = performance.now() - ticksStarted;
  expectOutcomes('idle scheduled ticks', tickOutcomes, 'nothing_new');
  const idleTicks = {
    users: users.length,
    wallMs: round(ticksWallMs, 0),
    ticksPerSecond: round((users.length / ticksWallMs) * 1000),
    workerCpuSecondsPerTick: round((workerFigures().cpuSeconds - cpuBeforeTicks) / users.length, 4),
    outcomes: tickOutcomes,
  };
  results.idleTicks = idleTicks;
  await pool(users, 50, (id) => inbox.unschedule(id));
  log(`idle scheduled ticks: ${JSON.stringify(results.idleTicks)}`);

  // 5. Temporal cost per sweep, from real histories and the heartbeats the server recorded (billable,
  // no event); a scheduled tick counts every workflow it ran and the schedule's own actions.
  const withHeartbeats = (c: HistoryCost, heartbeats: number) => ({
    ...c,
    actions: round(c.actions + heartbeats, 1),
    heartbeats,
  });
  const cost = async ({ workflowId, runId }: { workflowId: string; runId?: string }, heartbeats: number) =>
    withHeartbeats(historyCost(await client.workflow.getHandle(workflowId, runId).fetchHistory()), heartbeats);
  const costs: Record<string, unknown> = {
    // The fleet's sweeps all have the same shape: its heartbeats per sweep go with one of its histories.
    oneNewEmail: await cost(fleet.last, fleet.perSweep.heartbeats),
    idle: await cost(idle.last, idle.perSweep.heartbeats),
  };
  const ticking = users[0]!;
  await inbox.schedule(ticking, { every: '1 hour' });
  const tick = async (label: string, expected: string) => {
    const heartbeatsBefore = await heartbeatsRecorded();
    const measured = await scheduledTickCost(client, inbox, ticking);
    expectOutcomes(label, { [measured.outcome]: 1 }, expected);
    return withHeartbeats(measured, (await heartbeatsRecorded()) - heartbeatsBefore);
  };
  costs.idleTick = await tick('scheduled tick, idle', 'nothing_new');
  await seed(ticking, [email('Scheduled')]);
  costs.oneNewEmailTick = await tick('scheduled tick, one new email', 'completed');
  await inbox.unschedule(ticking);
  await seed('waiting-user', [email('Waiting')], 'EXPIRED');
  const heartbeatsBeforeWait = await heartbeatsRecorded();
  const waiting = await inbox.startSweep('waiting-user');
  await waitFor(async () => (await waiting.query(statusQuery)).phase === 'awaiting_reauthorization');
  await scalekit.call('PUT', '/_emulator/users/waiting-user/connections/gmail', { status: 'ACTIVE' });
  await inbox.reauthorized('waiting-user', { workflowId: waiting.workflowId });
  const waited = await waiting.result();
  expectOutcomes('re-authorized once', { [waited.outcome]: 1 }, 'completed');
  costs.reauthorizedOnce = await cost(
    { workflowId: waiting.workflowId, runId: waiting.firstExecutionRunId },
    (await heartbeatsRecorded()) - heartbeatsBeforeWait,
  );
  results.temporalCostPerSweep = costs;
  log(`Temporal cost per sweep (actions / history events): ${JSON.stringify(costs)}`);

  // 4. Schedules: creation time and the spread of next fire times over the interval. They start
  // sweeps on a queue no worker polls, and are deleted right after.
  const idleQueue = new InboxAgentClient(client, `bench-schedules-${process.pid}`);
  const scheduleUsers = Array.from({ length: opts.schedules }, (_, i) => `sched-${i}`);
  let t0 = performance.now();
  await pool(scheduleUsers, 50, (id) => idleQueue.schedule(id, { every: '15 minutes' }));
  const creationSeconds = (performance.now() - t0) / 1000;
  const nextTimes: number[] = [];
  for await (const s of client.schedule.list({ pageSize: 1000 })) {
    if (!s.scheduleId.includes('sched-')) continue;
    const next = s.info?.nextActionTimes?.[0];
    if (next) nextTimes.push(next.getTime());
  }
  const intervalMin = 15;
  const buckets = new Array<number>(intervalMin).fill(0);
  for (const t of nextTimes) buckets[Math.floor(t / 60_000) % intervalMin]! += 1;
  const mean = nextTimes.length / intervalMin;
  t0 = performance.now();
  await pool(scheduleUsers, 50, (id) => idleQueue.unschedule(id));
  results.schedules = {
    created: scheduleUsers.length,
    creationSeconds: round(creationSeconds, 1),
    perSecond: round(scheduleUsers.length / creationSeconds, 0),
    withNextTime: nextTimes.length,
    maxMinuteBucketOverMean: round(Math.max(...buckets) / mean),
    deletionSeconds: round((performance.now() - t0) / 1000, 1),
  };
  log(`schedules: ${JSON.stringify(results.schedules)}`);

  results.capacity = capacityModel(fleet, idleTicks, costs);
  log(`capacity at a 15-minute interval: ${JSON.stringify(results.capacity)}`);

  // 6. A simulated consent wait, 30 days of hourly re-checks (2 with --small, a 150-event budget: two continues-as-new): bench/long-wait.ts.
  // Last: it takes the emulators' added latency away.
  const longWaitDays = raw.longWaitDays ?? (raw.small ? 2 : 30);
  const longWaitBudget = raw.longWaitBudget ?? (raw.small ? 150 : undefined);
  const longWait =
    longWaitDays === 0
      ? undefined
      : await simulatedLongWait({
          address: server.address,
          namespace,
          client,
          workerEnv,
          scalekit,
          days: longWaitDays,
          ...(longWaitBudget !== undefined ? { historyEventBudget: longWaitBudget } : {}),
        });
  if (longWait) {
    results.longWait = longWait;
    expectOutcomes('simulated long wait, consent given at its end', { [longWait.outcome]: 1 }, 'nothing_new');
    wrongOutcomes.push(...longWait.problems.map((p) => `simulated long wait: ${p}`));
    log(
      `simulated ${longWait.simulatedDays}-day consent wait (${longWait.rechecks} re-checks, ${longWait.reminders} reminders): ` +
        `${longWait.runs} runs (continue-as-new at ${longWait.historyEventBudget} events), events per run max ` +
        `${longWait.eventsPerRun.max} / mean ${longWait.eventsPerRun.mean}; per simulated day ` +
        `${longWait.perSimulatedDay.actions} actions, ${longWait.perSimulatedDay.events} events, ` +
        `${longWait.perSimulatedDay.scalekitCalls} Scalekit calls`,
    );
  }
  results.wrongOutcomes = wrongOutcomes;
  if (wrongOutcomes.length) {
    log(`FAIL: sweeps that did not end as they must:\n  ${wrongOutcomes.join('\n  ')}`);
    process.exitCode = 1;
  } else log('every measured sweep ended as it must');
} finally {
  await writeFile(outFile, JSON.stringify(results, null, 2) + '\n');
  log();
  log(benchTables(results as unknown as BenchFigures));
  log();
  log(`figures written to ${outFile}`);
  for (const w of workers) await w.stop();
  await emulators.stop();
  await server.teardown();
}
