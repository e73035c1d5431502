/**
 * `npm start`: the whole thing on one machine. Each part is the real service when its env vars are
 * set (TEMPORAL_ADDRESS, SCALEKIT_ENV_URL, ANTHROPIC_API_KEY) and embedded or emulated otherwise.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Command } from 'commander';
import { parseCallbackConfig, startCallback } from '../callback/index.js';
import { loadClientConfig } from '../client/config.js';
import { InboxAgentClient, statusQuery, type SweepStatus } from '../client/index.js';
import { formatProvision, formatStatus, messageCounts } from '../client/format.js';
import { WORKER_ENV_FILE, writeEnvFile, writeLocalStack } from '../common/local-stack.js';
import { persistUsers } from '@inbox-agent/emulators/scalekit/persist';
import type { inboxSweep } from '../workflows/index.js';
import { progressPrinter, watchSweep } from '../client/progress.js';
import { DEMO_ASKING, DEMO_EXPIRED, DEMO_READY, seedDemoUsers } from '@inbox-agent/emulators/demo';
import { startLocalOidcProvider } from '@inbox-agent/emulators/oidc';
import { emulateManagedAgents, emulateScalekit } from '@inbox-agent/emulators/stack';
import { runMain } from '../common/run-main.js';
import { parseWorkerConfig, workerEnvSchema } from '../worker/config.js';
import { createLogger, logSettings } from '../worker/logging.js';
import { installRuntime, startInboxWorker } from '../worker/start.js';
import { generateKeySpec } from '../codec/keys.js';
import { startCodecServer } from '../codec/server.js';
import { startDevServer } from './dev-server.js';

const options = new Command('start')
  .description('run inbox-agent locally: dev server, emulators, worker and a demo sweep per demo user')
  .option('--once', "stop once demo-bob's waiting sweep has ended (after consent) or on Ctrl-C, instead of running on")
  // Bad arguments exit 2, like every other command of the project.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse()
  .opts<{ once?: boolean }>();

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const cleanups: Array<() => Promise<unknown>> = [];
const log = (line = '') => console.log(line);

/** Whether every link in the status was made at or after `since` (ms). */
const linksSince = (status: SweepStatus, since: number) =>
  status.authLinks.every((l) => l.createdAt !== undefined && Date.parse(l.createdAt) >= since - 1000);

/** Keys kept with the local state, so a waiting sweep's history stays readable across restarts. */
async function localSecret(stateDir: string, file: string, make: () => string): Promise<string> {
  const path = join(stateDir, file);
  if (existsSync(path)) return (await readFile(path, 'utf8')).trim();
  const value = make();
  await writeFile(path, value, { mode: 0o600 });
  return value;
}

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  // The quick start prints its own story; the SDK's lifecycle logs would bury it (readable text, WARN
  // unless INBOX_AGENT_LOG_LEVEL says otherwise). Installed before the dev server, which needs a runtime.
  installRuntime({
    logger: createLogger(logSettings(process.env, { format: 'text', level: 'WARN' })),
    metricsAddress: process.env.INBOX_AGENT_METRICS_ADDRESS,
  });
  const env: Record<string, string | undefined> = { ...process.env };
  const stateDir = resolve(env.INBOX_AGENT_STATE_DIR ?? '.data');
  await mkdir(stateDir, { recursive: true });
  env.INBOX_AGENT_STATE_DIR = stateDir;
  env.INBOX_AGENT_CODEC_KEYS ??= await localSecret(stateDir, 'codec.keys', () => generateKeySpec('local-1'));
  env.INBOX_AGENT_SEAL_KEYS ??= await localSecret(stateDir, 'seal.keys', () => generateKeySpec('local-seal-1'));
  // Shared by the worker and the consent callback below, kept so links made before a restart still work.
  env.INBOX_AGENT_CONSENT_KEY ??= await localSecret(stateDir, 'consent.key', () => randomBytes(32).toString('base64'));
  const codecToken = env.INBOX_AGENT_CODEC_SERVER_TOKEN ?? randomBytes(32).toString('base64url');

  let temporalLine: string;
  let uiUrl: string | undefined;
  // With a real Temporal, run `npm run codec-server` beside your Web UI instead.
  let codecLine = 'payloads encrypted; npm run codec-server lets a Web UI read them';
  if (env.TEMPORAL_ADDRESS) {
    temporalLine = `real, ${env.TEMPORAL_ADDRESS} (namespace ${env.TEMPORAL_NAMESPACE ?? 'default'})`;
  } else {
    const dbFilename = join(stateDir, 'temporal.db');
    const devPort = port('TEMPORAL_DEV_PORT', 7233);
    const uiPort = port('TEMPORAL_DEV_UI_PORT', 8233);
    // Payloads in history are encrypted; the Web UI decodes them through this codec server.
    const codec = await startCodecServer({
      codecKeys: env.INBOX_AGENT_CODEC_KEYS,
      token: codecToken,
      origins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`],
      port: port('INBOX_AGENT_CODEC_SERVER_PORT', 0),
    });
    cleanups.push(() => codec.close());
    codecLine = `server on ${codec.url} (the Web UI decodes through it; history holds ciphertext)`;
    const devServer = await startDevServer({ dbFilename, port: devPort, uiPort, codecEndpoint: codec.uiEndpoint });
    cleanups.push(() => devServer.teardown());
    env.TEMPORAL_ADDRESS = devServer.address;
    uiUrl = `http://127.0.0.1:${uiPort}`;
    temporalLine = `embedded dev server on ${devServer.address}, state in ${dbFilename}`;
  }

  // The CLI in another terminal finds this stack (address, keys) through this file, nothing exported.
  await writeLocalStack(env);

  const scalekit = env.SCALEKIT_ENV_URL ? undefined : await emulateScalekit(port('SCALEKIT_EMULATOR_PORT', 4010));
  let usersLine = '';
  if (scalekit) {
    cleanups.push(() => scalekit.emulator.close());
    Object.assign(env, scalekit.env);
    // Users added over HTTP outlive a restart, as the sweeps waiting for them do; the demo users are
    // seeded afresh each time, so the demo always has mail to show.
    const usersFile = join(stateDir, 'scalekit-users.json');
    const users = persistUsers(scalekit.emulator, usersFile);
    cleanups.push(async () => users.stop());
    for (const demo of [DEMO_READY, DEMO_EXPIRED, DEMO_ASKING]) scalekit.emulator.forgetUser(demo);
    seedDemoUsers(scalekit.emulator);
    usersLine = `users kept in ${shown(usersFile)}${users.restored ? ` (${users.restored} restored)` : ''}; demo users re-seeded`;
  }
  const agents = env.ANTHROPIC_API_KEY ? undefined : await emulateManagedAgents(port('ANTHROPIC_EMULATOR_PORT', 4011));
  if (agents) {
    cleanups.push(() => agents.emulator.close());
    Object.assign(env, agents.env);
  }
  // After the dev server's own start-up lines (the Temporal CLI writes them to this terminal), so the
  // summary below is one block.
  log();
  log('inbox-agent');
  log(`  Temporal   ${temporalLine}`);
  log(
    `  Scalekit   ${scalekit ? `emulated on ${scalekit.emulator.url}, ${usersLine}` : `real, ${env.SCALEKIT_ENV_URL}`}`,
  );
  log(`  Anthropic  ${agents ? `emulated on ${agents.emulator.url}` : 'real, Claude Managed Agents API'}`);
  if (uiUrl) log(`  Web UI     ${uiUrl}`);
  log(`  Codec      ${codecLine}`);
  log();

  // The consent callback: Scalekit sends the browser here after the user allows access. It signs the
  // person in first: against your OIDC provider when INBOX_AGENT_OIDC_ISSUER is set, otherwise
  // against a local one that knows the demo users (its login page takes any password).
  const callbackInbox = await InboxAgentClient.connect(loadClientConfig(env));
  cleanups.unshift(() => callbackInbox.close());
  // Port 0 (any free one) is settled here, not by the callback's listen: the local OIDC provider below
  // registers the callback's redirect URI before the callback starts, and a URI on port 0 never matches.
  const callbackPort = port('INBOX_AGENT_CALLBACK_PORT', 8788) || (await anyFreePort());
  const callbackUrl = env.INBOX_AGENT_CALLBACK_URL ?? `http://127.0.0.1:${callbackPort}`;
  let loginLine = `your OIDC provider, ${env.INBOX_AGENT_OIDC_ISSUER}`;
  if (!env.INBOX_AGENT_OIDC_ISSUER && (env.INBOX_AGENT_CALLBACK_IDENTITY ?? 'oidc') === 'oidc') {
    const oidc = await startLocalOidcProvider({
      users: [DEMO_READY, DEMO_EXPIRED],
      redirectUris: [new URL('login/callback', `${callbackUrl}/`).href],
      port: port('INBOX_AGENT_OIDC_PORT', 0),
    });
    cleanups.push(() => oidc.close());
    Object.assign(env, {
      INBOX_AGENT_OIDC_ISSUER: oidc.issuer,
      INBOX_AGENT_OIDC_CLIENT_ID: oidc.clientId,
      INBOX_AGENT_OIDC_CLIENT_SECRET: oidc.clientSecret,
    });
    loginLine = `local OIDC provider on ${oidc.issuer} (sign in as ${DEMO_EXPIRED}, any password)`;
  }
  const callback = await startCallback(
    parseCallbackConfig({ ...env, INBOX_AGENT_CALLBACK_PORT: String(callbackPort) }),
    callbackInbox,
  );
  cleanups.unshift(() => callback.close());
  env.INBOX_AGENT_CALLBACK_URL ??= callback.url;
  log(`  Callback   consent callback on ${callback.url}, links lead back to ${env.INBOX_AGENT_CALLBACK_URL}`);
  log(`  Sign-in    ${loginLine}`);
  log();

  const config = parseWorkerConfig(env);
  const workerEnvFile = join(stateDir, WORKER_ENV_FILE);
  await writeEnvFile(
    workerEnvFile,
    ["the environment of npm start's worker: (set -a; . this-file; npm run worker) runs the compiled one beside it"],
    workerEnvOf(env),
  );
  const started = await startInboxWorker(config, { env });
  cleanups.unshift(() => started.stop());
  const { client, namespace, done: running } = started;

  const inbox = new InboxAgentClient(client, config.INBOX_AGENT_TASK_QUEUE);
  let waitingSweep: WorkflowHandle<typeof inboxSweep> | undefined;
  log(formatProvision(await inbox.setup()));
  log();

  log('The compiled worker against this stack, from another terminal (npm run build first):');
  log(`  (set -a; . ${shown(workerEnvFile)}; npm run worker)`);
  log();

  if (scalekit) {
    const started = Date.now();
    // Shown as it happens: a live line on a terminal, a line per change otherwise.
    const sweep = await inbox.startSweep(DEMO_READY, { requestId: `quickstart-${started}` });
    const emit = progressPrinter(process.stdout.isTTY ? 'spinner' : 'lines');
    emit({ event: 'started', workflowId: sweep.workflowId, identifier: DEMO_READY });
    const end = await watchSweep(sweep, { onEvent: emit });
    if (end.kind === 'failed') throw new Error(`the demo sweep failed: ${end.message}`);
    if (end.kind === 'finished' && end.report.messages) {
      log(`  ${DEMO_READY}: ${messageCounts(end.report.messages)}`);
    }
    for (const event of scalekit.emulator.calendarEvents(DEMO_READY)) {
      log(`  calendar of ${DEMO_READY}: "${event.summary}" at ${event.start}`);
    }
    log(`  took ${((Date.now() - started) / 1000).toFixed(2)} s`);
    log();

    // A sweep left waiting by an earlier run lives on in the dev server's database: resume that one
    // (the signal makes it re-check, so its links come from this run's emulator) rather than add another.
    const [resumable] = await inbox.runningSweeps(DEMO_EXPIRED);
    const waiting = resumable
      ? client.workflow.getHandle(resumable)
      : await inbox.startSweep(DEMO_EXPIRED, { requestId: `quickstart-${started}`, reauthTimeout: '1 day' });
    if (resumable) await inbox.reauthorized(DEMO_EXPIRED, { workflowId: resumable, note: 'npm start restarted' });
    const fresh = Date.now();
    let status = await waiting.query(statusQuery);
    for (let i = 0; i < 100 && !(status.phase === 'awaiting_reauthorization' && linksSince(status, fresh)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await waiting.query(statusQuery);
    }
    waitingSweep = waiting;
    log(formatStatus(waiting.workflowId, status));
    log();

    // Approval mode ask (stored with her state): her sweep proposes the event and waits for her. One
    // left waiting by an earlier run is shown as it is rather than joined by another.
    await inbox.userSettings(DEMO_ASKING, { approval: 'ask' });
    const [proposing] = await inbox.runningSweeps(DEMO_ASKING);
    const asking = proposing
      ? client.workflow.getHandle(proposing)
      : await inbox.startSweep(DEMO_ASKING, { requestId: `quickstart-${started}` });
    let proposal = await asking.query(statusQuery);
    for (let i = 0; i < 300 && proposal.phase !== 'awaiting_approval' && !proposal.proposals?.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      proposal = await asking.query(statusQuery);
    }
    log(formatStatus(asking.workflowId, proposal));
    log();
    log('Try next:');
    log(`  npm run cli -- approve ${DEMO_ASKING}          # book her proposed event (or --deny --reason TEXT)`);
    log(`  open the gmail link above within a minute (or a fresh one from auth-links) and click Allow;`);
    log(`    sign in as ${DEMO_EXPIRED} (any password): the callback verifies you and the waiting sweep runs`);
    log(`  npm run cli -- auth-links ${DEMO_EXPIRED}       # fresh links (they live about a minute)`);
    log(`  npm run cli -- status ${DEMO_EXPIRED}`);
    log(`  npm run cli -- reauthorized ${DEMO_EXPIRED}     # or make the waiting sweep re-check at once by hand`);
    log(`  npm run cli -- sweep ${DEMO_READY} --wait`);
    log(`  npm run cli -- schedule ${DEMO_READY} --every 1h`);
    log(`  npm run cli -- list --phase awaiting_reauthorization   # who waits for consent, since when`);
  } else {
    log(
      'Scalekit is real: try  npm run cli -- auth-links <identifier>  then  npm run cli -- sweep <identifier> --wait',
    );
  }
  if (uiUrl) log(`  watch it all in the Temporal Web UI: ${uiUrl}/namespaces/${namespace}/workflows`);
  log();

  if (options.once && waitingSweep) {
    // The consent loop needs this process (worker and callback): it stays until that sweep ends.
    log(`Running until ${DEMO_EXPIRED}'s sweep ends (open its link and click Allow) or Ctrl-C.`);
    const ended = await Promise.race([
      waitingSweep.result().then(
        (r) =>
          `${DEMO_EXPIRED}: ${r.outcome.replaceAll('_', ' ')}${r.messages ? `, ${messageCounts(r.messages)}` : ''}`,
        (err: Error) => `${DEMO_EXPIRED}'s sweep failed: ${err.message.split('\n')[0]}`,
      ),
      running.then(() => undefined),
    ]);
    if (ended) log(ended);
    return;
  }
  if (options.once) return;
  log('Worker running. Ctrl-C stops everything.');
  await running;
}

/** A path as the user would type it from here. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

/** What the worker reads: its own variables, and Temporal's (envconfig), none of the dev server's own ports. */
function workerEnvOf(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const names = new Set(Object.keys(workerEnvSchema.shape));
  return Object.fromEntries(
    Object.entries(env).filter(
      ([name, value]) =>
        value !== undefined && (names.has(name) || (name.startsWith('TEMPORAL_') && !name.startsWith('TEMPORAL_DEV_'))),
    ),
  );
}

async function shutdown(): Promise<void> {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
}

runMain('inbox-agent start', main, { finally: shutdown });

/** A port free right now, from the system (listen on 0, then let go), for a service started a moment later. */
async function anyFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port: free } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return free;
}
