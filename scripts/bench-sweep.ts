/**
 * `npm run bench`: sweep latency, throughput, API calls per sweep and worker memory, on a real
 * in-memory dev server and the emulators. Prints figures; asserts nothing.
 *   npm run bench -- --users 50 --concurrency 10
 */
import Anthropic from '@anthropic-ai/sdk';
import { Command, InvalidArgumentError } from 'commander';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InboxAgentClient, type SweepOutcome } from '../client/index.js';
import { startEmulatorStack } from '../emulators/stack.js';
import { parseWorkerConfig } from '../worker/config.js';
import { createInboxWorker } from '../worker/create-worker.js';
import { buildActivityDeps } from '../worker/deps.js';
import { startDevServer } from './dev-server.js';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return n;
};
const opts = new Command('bench')
  .option('--users <n>', 'users to sweep', positive, 30)
  .option('--concurrency <n>', 'sweeps in flight at once', positive, 10)
  .option(
    '--other-vaults <n>',
    "vaults of other users that already exist (what a user's first sweep must scan)",
    Number,
    0,
  )
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse()
  .opts<{ users: number; concurrency: number; otherVaults: number }>();

const ms = (n: number) => `${n.toFixed(0)} ms`;
const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

Runtime.install({ logger: new DefaultLogger('ERROR') });
const server = await startDevServer();
const emulators = await startEmulatorStack();
const stateDir = await mkdtemp(join(tmpdir(), 'inbox-agent-bench-'));
const nativeConnection = await NativeConnection.connect({ address: server.address });
const client = new Client({ connection: server.connection, namespace: server.namespace ?? 'default' });
const config = parseWorkerConfig({
  ...emulators.env,
  INBOX_AGENT_TASK_QUEUE: 'bench',
  INBOX_AGENT_STATE_DIR: stateDir,
});
const worker = await createInboxWorker({
  connection: nativeConnection,
  namespace: server.namespace ?? 'default',
  taskQueue: 'bench',
  deps: buildActivityDeps(config, client),
});
const running = worker.run();
const inbox = new InboxAgentClient(client, 'bench');

try {
  await inbox.setup();
  const anthropic = new Anthropic({ baseURL: emulators.agents.url, apiKey: emulators.agents.apiKey, maxRetries: 0 });
  for (let i = 0; i < opts.otherVaults; i++) {
    await anthropic.beta.vaults.create({
      display_name: `other ${i}`,
      metadata: { inbox_agent_identifier: `other-${i}` },
    });
  }
  const users = Array.from({ length: opts.users }, (_, i) => `bench-${i}`);
  for (const id of users) {
    emulators.scalekit.seedUser(id, {
      connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' },
      emails: [{ from: 'A <a@x.example>', subject: `Item ${id}`, body: 'Please review the attached plan by Friday.' }],
    });
  }
  const rssBefore = process.memoryUsage().rss;

  const sweepAll = async (label: string, expected: SweepOutcome = 'completed') => {
    const callsBefore = emulators.scalekit.control.calls() + emulators.agents.control.calls();
    const split = () => ({
      scalekit: emulators.scalekit.control.calls(),
      anthropic: emulators.agents.control.calls(),
      mcp: emulators.scalekit.control.calls('POST /mcp/v3/servers/:server_id'),
      sessions: emulators.agents.control.calls('POST /v1/sessions'),
    });
    const splitBefore = split();
    const listsBefore = emulators.agents.control.calls('GET /v1/vaults');
    const latencies: number[] = [];
    const queue = [...users];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const t0 = performance.now();
          const report = await inbox.sweep(id);
          if (report.outcome !== expected) throw new Error(`${id}: ${report.outcome}`);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const wall = performance.now() - started;
    const calls = emulators.scalekit.control.calls() + emulators.agents.control.calls() - callsBefore;
    const lists = emulators.agents.control.calls('GET /v1/vaults') - listsBefore;
    latencies.sort((a, b) => a - b);
    console.log(
      `${label}: ${users.length} sweeps, concurrency ${opts.concurrency}: ` +
        `p50 ${ms(pct(latencies, 50))}, p95 ${ms(pct(latencies, 95))}, max ${ms(latencies.at(-1)!)}, ` +
        `${((users.length / wall) * 1000).toFixed(1)} sweeps/s, ${(calls / users.length).toFixed(1)} API calls per sweep ` +
        `(${lists} vault listings)`,
    );
    const after = split();
    const per = (k: keyof typeof after) => ((after[k] - splitBefore[k]) / users.length).toFixed(1);
    console.log(
      `  per sweep: ${per('scalekit')} Scalekit calls (${per('mcp')} MCP), ${per('anthropic')} Anthropic calls, ` +
        `${per('sessions')} sessions`,
    );
  };

  await sweepAll('first sweeps (vault and credential created)');
  // A new email each, so the next round books events too instead of finding them already there.
  for (const id of users) {
    emulators.scalekit.addEmail(id, {
      from: 'B <b@x.example>',
      subject: `Follow-up ${id}`,
      body: 'Any news on the plan?',
    });
  }
  await sweepAll('next sweeps (one new email each, token updated in place)');
  await sweepAll('idle sweeps (nothing new: no session, no vault write)', 'nothing_new');
  const events = users.reduce((n, id) => n + emulators.scalekit.calendarEvents(id).length, 0);
  const vaults = emulators.agents.vaults().length;
  console.log(
    `calendar events: ${events} (expected ${users.length * 2}); vaults: ${vaults} (expected ${users.length + opts.otherVaults})`,
  );
  console.log(`worker process RSS: ${mb(rssBefore)} before, ${mb(process.memoryUsage().rss)} after`);
} finally {
  worker.shutdown();
  await running;
  await nativeConnection.close();
  await emulators.close();
  await server.teardown();
  await rm(stateDir, { recursive: true, force: true });
}
