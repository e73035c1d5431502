/**
 * `npm run bench:confirmations`: what the tool gate's confirmations cost (issue 22): each call the
 * service holds (`always_ask`, activities/definitions.ts) idles the session until the worker answers
 * `user.tool_confirmation`. Per held call that is one extra Anthropic request and the wait between
 * the service's `requires_action` idle and the confirmation it receives (the stream delivering the
 * idle, the policy's judgement, the POST); per sweep, their sum. Read from the sessions' own event
 * logs (`processed_at`), so the figures are the service's view. Printed, never asserted.
 *
 *   npm run bench:confirmations -- --users 5 --emails 3 --latency-ms 50 --step-ms 1000
 *
 * A real in-memory Temporal dev server; the emulators and the worker each in their own process, as
 * in `npm run bench`, with the same latency per API call and paced agent.
 */
import Anthropic from '@anthropic-ai/sdk';
import { Client } from '@temporalio/client';
import { Command } from 'commander';
import { dataConverter } from '../codec/data-converter.js';
import { generateKeySpec } from '../codec/keys.js';
import { InboxAgentClient } from '../client/index.js';
import { startDevServer } from '../scripts/dev-server.js';
import { email, percentile, round, seeder, whole } from './common.js';
import { controlPlane, startEmulatorProcess, startWorkerProcess } from './processes.js';

const opts = new Command('bench:confirmations')
  .description("the tool gate's confirmation round trips: extra Anthropic calls and wall time")
  .option('--users <n>', 'sweeps to measure (one user each)', whole, 5)
  .option('--emails <n>', 'new e-mails per sweep (one turn each)', whole, 3)
  .option('--latency-ms <n>', 'added to every emulated API call', whole, 50)
  .option('--step-ms <n>', 'pause before each step of the emulated agent', whole, 1000)
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse()
  .opts<{ users: number; emails: number; latencyMs: number; stepMs: number }>();

const CONFIRM_ROUTE = 'POST /v1/sessions/:session_id/events';
const server = await startDevServer({});
const emulators = await startEmulatorProcess();
const agents = controlPlane(emulators.anthropicUrl);
const codecKeys = generateKeySpec('bench');
const worker = await startWorkerProcess({
  ...emulators.env,
  TEMPORAL_ADDRESS: server.address,
  TEMPORAL_NAMESPACE: server.namespace ?? 'default',
  INBOX_AGENT_TASK_QUEUE: 'bench-confirmations',
  INBOX_AGENT_CODEC_KEYS: codecKeys,
  INBOX_AGENT_SEAL_KEYS: generateKeySpec('bench-seal'),
  INBOX_AGENT_STATE_DIR: `/tmp/inbox-agent-bench-confirmations-${process.pid}`,
});
const client = new Client({
  connection: server.connection,
  namespace: server.namespace ?? 'default',
  dataConverter: dataConverter(codecKeys),
});
const inbox = new InboxAgentClient(client, 'bench-confirmations');
const anthropic = new Anthropic({ apiKey: emulators.env.ANTHROPIC_API_KEY, baseURL: emulators.anthropicUrl });
const micros = (at: string | null | undefined) => (at ? Date.parse(at) : NaN);

try {
  await inbox.setup();
  await agents.inject({ route: '*', latencyMs: opts.latencyMs });
  await agents.call('PUT', '/_emulator/step-delay', { ms: opts.stepMs });
  const seed = seeder(controlPlane(emulators.scalekitUrl));
  const roundTrips: number[] = [];
  const sweeps: Array<{ confirmations: number; anthropicCalls: number; waitMs: number; sweepMs: number }> = [];
  for (let u = 0; u < opts.users; u++) {
    const identifier = `confirm-${u}`;
    await seed(
      identifier,
      Array.from({ length: opts.emails }, (_, i) => email(`Plan ${u}.${i}`)),
    );
    const before = await agents.counters();
    const started = Date.now();
    const report = await inbox.sweep(identifier);
    const sweepMs = Date.now() - started;
    if (report.outcome !== 'completed') throw new Error(`sweep of ${identifier} ended ${report.outcome}`);
    const after = await agents.counters();
    const calls = Object.keys(after).reduce((n, k) => n + (after[k]! - (before[k] ?? 0)), 0);
    // The session's own log: each requires_action idle, then the confirmation that answered it.
    let parked: number | undefined;
    let waitMs = 0;
    let confirmations = 0;
    for await (const event of anthropic.beta.sessions.events.list(report.session!.sessionId, { limit: 1000 })) {
      const e = event as unknown as { type: string; processed_at?: string; stop_reason?: { type?: string } };
      if (e.type === 'session.status_idle' && e.stop_reason?.type === 'requires_action')
        parked = micros(e.processed_at);
      if (e.type === 'user.tool_confirmation' && parked !== undefined) {
        const ms = micros(e.processed_at) - parked;
        roundTrips.push(ms);
        waitMs += ms;
        confirmations += 1;
        parked = undefined;
      }
    }
    sweeps.push({ confirmations, anthropicCalls: calls, waitMs, sweepMs });
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const perSweep = {
    confirmations: mean(sweeps.map((s) => s.confirmations)),
    anthropicCalls: mean(sweeps.map((s) => s.anthropicCalls)),
    waitMs: mean(sweeps.map((s) => s.waitMs)),
    sweepMs: mean(sweeps.map((s) => s.sweepMs)),
  };
  console.log(
    `inbox-agent bench:confirmations: ${opts.users} sweeps of ${opts.emails} e-mails, ${opts.latencyMs} ms per API call, ${opts.stepMs} ms per agent step`,
  );
  console.log(
    `  per held call:  1 extra Anthropic request; requires_action → confirmation p50 ${round(percentile(roundTrips, 50))} ms, p95 ${round(percentile(roundTrips, 95))} ms (${roundTrips.length} calls)`,
  );
  console.log(
    `  per sweep:      ${round(perSweep.confirmations)} confirmations (${round(perSweep.confirmations / opts.emails)} per e-mail) of ${round(perSweep.anthropicCalls)} Anthropic requests (${round((100 * perSweep.confirmations) / perSweep.anthropicCalls, 1)} %); ` +
      `${round(perSweep.waitMs)} ms parked of ${round(perSweep.sweepMs)} ms wall (${round((100 * perSweep.waitMs) / perSweep.sweepMs, 1)} %)`,
  );
} finally {
  await client.connection.close().catch(() => {});
  await worker.stop();
  await emulators.stop();
  await server.teardown();
}
