/**
 * What the Dockerfile's final stage holds, assembled without Docker (base images cannot be pulled
 * here) and run: the compiled dist/ plus `npm ci --omit=dev --workspaces=false` in a clean folder.
 * It asserts that no tsx and no emulator-only package is installed, then runs the compiled worker
 * from that folder against a dev server and the emulators (both from this repo) for one sweep, asks
 * the image's health check, and stops the worker with SIGTERM; then once more with tracing on, which
 * loads the traced workflow bundle, and checks a workflow span reaches an OTLP endpoint. Run after
 * `npm run build` (CI does).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { generateKeySpec } from '../codec/keys.js';
import { DEMO_READY, seedDemoUsers } from '@inbox-agent/emulators/demo';
import { startEmulatorStack } from '@inbox-agent/emulators/stack';
import { freePort } from '../test/helpers/ports.js';
import { setUpClient, startDevServer } from './dev-server.js';
import { BUNDLES } from '../worker/workflow-bundle.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readJson = (path: string) =>
  JSON.parse(readFileSync(join(root, path), 'utf8')) as { dependencies?: Record<string, string> };

function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

async function main(): Promise<void> {
  // Both workflow bundles: the worker picks the traced one when tracing is on (worker/create-worker.ts).
  const built = ['worker/main.js', ...Object.values(BUNDLES).map((bundle) => bundle.file)];
  if (!built.every((file) => existsSync(join(root, 'dist', file)))) {
    console.error('check-image-contents: no dist/ build; run npm run build first');
    process.exit(2);
  }
  const image = await mkdtemp(join(tmpdir(), 'inbox-agent-image-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(image, { recursive: true, force: true })];
  try {
    // The final stage: COPY dist, package.json; node_modules from `npm ci --omit=dev --workspaces=false`.
    await cp(join(root, 'dist'), join(image, 'dist'), { recursive: true });
    for (const file of ['package.json', 'package-lock.json']) await cp(join(root, file), join(image, file));
    const started = Date.now();
    // better-sqlite3's install script compiles SQLite from source when its prebuilt binaries (on
    // GitHub) are out of reach, as here: minutes of CPU for a binary the root install has just built
    // from the same version on the same platform. The check takes that build, as the Dockerfile's
    // install stage hands its node_modules on; every other install script runs as usual.
    execFileSync('npm', ['ci', '--omit=dev', '--workspaces=false', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: image,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const sqliteBuild = 'node_modules/better-sqlite3/build';
    await cp(join(root, sqliteBuild), join(image, sqliteBuild), { recursive: true });
    execFileSync('npm', ['rebuild', '--no-audit', '--no-fund', 'protobufjs', '@swc/core', 'esbuild'], {
      cwd: image,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const installSeconds = (Date.now() - started) / 1000;

    // The emulators' own dependencies must be absent unless a product dependency needs one too (the
    // MCP SDK the worker uses brings express); the dev tools and the workspace must be absent outright.
    const product = new Set(Object.keys(readJson('package.json').dependencies ?? {}));
    const emulatorOnly = Object.keys(readJson('emulators/package.json').dependencies ?? {}).filter(
      (name) => !product.has(name),
    );
    const installed = JSON.parse(readFileSync(join(image, 'node_modules/.package-lock.json'), 'utf8')) as {
      packages: Record<string, { dependencies?: Record<string, string> }>;
    };
    const neededBy = (name: string) =>
      Object.entries(installed.packages)
        .filter(([, pkg]) => pkg.dependencies && name in pkg.dependencies)
        .map(([path]) => path.replace(/^.*node_modules\//, ''));
    const present = (name: string) => existsSync(join(image, 'node_modules', name));
    const devOnly = ['@inbox-agent/emulators', 'tsx', 'typescript', 'vitest', 'eslint'];
    const wrong = [
      ...devOnly.filter(present),
      ...emulatorOnly.filter((name) => present(name) && neededBy(name).length === 0),
    ];
    check(wrong.length === 0, `the image would hold ${wrong.join(', ')}`);
    const transitive = emulatorOnly.filter(present).map((name) => `${name} (for ${neededBy(name).join(', ')})`);
    const size = execFileSync('du', ['-sh', join(image, 'node_modules')], { encoding: 'utf8' }).split('\t')[0];
    console.log(`image contents: dist/ + ${size} node_modules (npm ci ${installSeconds.toFixed(0)} s)`);
    console.log(`  absent: ${[...devOnly, ...emulatorOnly.filter((name) => !present(name))].join(', ')}`);
    if (transitive.length > 0) console.log(`  present only as product dependencies' own: ${transitive.join(', ')}`);

    // Temporal and the emulators come from this repo; only the worker runs from the image folder.
    const temporal = await startDevServer();
    cleanups.unshift(() => temporal.teardown());
    const emulators = await startEmulatorStack();
    cleanups.unshift(() => emulators.close());
    seedDemoUsers(emulators.scalekit);
    const taskQueue = `image-check-${process.pid}`;
    const codecKeys = generateKeySpec('image-check');
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: image,
      NODE_ENV: 'production',
      ...emulators.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace ?? 'default',
      INBOX_AGENT_TASK_QUEUE: taskQueue,
      INBOX_AGENT_CODEC_KEYS: codecKeys,
      INBOX_AGENT_SEAL_KEYS: generateKeySpec('image-check-seal'),
      INBOX_AGENT_STATE_DIR: join(image, '.data'),
      INBOX_AGENT_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    };
    const { worker, output, exited } = await startCompiledWorker(image, env, cleanups);
    // NODE_ENV=production: JSON log lines.
    check(output().includes('"tracing":"off"'), `the worker did not start with tracing off:\n${output()}`);

    const health = spawn(process.execPath, ['dist/worker/healthcheck.js'], { cwd: image, env, stdio: 'inherit' });
    const [healthCode] = (await once(health, 'exit')) as [number | null];
    check(healthCode === 0, `the image's health check failed (exit ${healthCode})`);
    console.log('health check: ok');

    const inbox = await setUpClient(temporal, codecKeys, taskQueue);
    const report = await inbox.sweep(DEMO_READY, { requestId: `image-check-${Date.now()}` });
    check(report.outcome === 'completed', `the sweep ended ${report.outcome}\n${output()}`);
    const events = emulators.scalekit.calendarEvents(DEMO_READY);
    check(events.length > 0, 'the sweep completed without booking an event');
    console.log(`sweep for ${DEMO_READY}: ${report.outcome}, ${events.length} event(s) booked`);

    worker.kill('SIGTERM');
    const [code] = await exited;
    check(code === 0, `the worker exited ${code} on SIGTERM\n${output()}`);
    console.log('worker drained and exited 0 on SIGTERM');

    // With tracing on, the worker loads the other prebuilt bundle (dist/workflow-bundle-traced.js): its
    // workflow interceptors' spans reach an OTLP/HTTP endpoint (JSON), flushed when the worker stops.
    const received: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    cleanups.unshift(() => new Promise((r) => collector.close(r)));
    const { port } = collector.address() as AddressInfo;
    const traced = await startCompiledWorker(
      image,
      { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces` },
      cleanups,
    );
    check(traced.output().includes('"tracing":"otlp"'), `the worker did not trace:\n${traced.output()}`);
    const again = await inbox.sweep(DEMO_READY, { requestId: `image-check-traced-${Date.now()}` });
    traced.worker.kill('SIGTERM');
    const [tracedCode] = await traced.exited;
    check(tracedCode === 0, `the traced worker exited ${tracedCode} on SIGTERM\n${traced.output()}`);
    const spans = received.join('\n');
    check(spans.includes('RunWorkflow:inboxSweep'), `no workflow span reached the collector:\n${traced.output()}`);
    console.log(`traced worker: sweep ${again.outcome}, its workflow span exported over OTLP (traced bundle)`);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
  }
}

/** dist/worker/main.js from the image folder, up once it logs that it started. */
async function startCompiledWorker(
  image: string,
  env: Record<string, string>,
  cleanups: Array<() => Promise<unknown>>,
): Promise<{ worker: ChildProcess; output: () => string; exited: Promise<[number | null, NodeJS.Signals | null]> }> {
  const started = Date.now();
  const worker = spawn(process.execPath, ['dist/worker/main.js'], { cwd: image, env, stdio: 'pipe' });
  let output = '';
  worker.stdout.on('data', (d: Buffer) => (output += d.toString()));
  worker.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(worker, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  cleanups.unshift(async () => {
    if (worker.exitCode === null) worker.kill('SIGKILL');
  });
  for (let i = 0; !output.includes('inbox-agent worker started'); i++) {
    check(i < 300 && worker.exitCode === null, `the compiled worker did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`compiled worker ready in ${((Date.now() - started) / 1000).toFixed(2)} s (prebuilt bundle)`);
  return { worker, output: () => output, exited };
}

main().catch((err: unknown) => {
  console.error(`check-image-contents: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
