/**
 * `npm run check:container`: the image users deploy, built from the Dockerfile and run here with
 * podman, next to the host's Temporal dev server, one PostgreSQL (scripts/postgres) and the emulators.
 * Base images cannot be pulled on this machine, so the base (Debian 13 with its Node 20 and npm) is
 * made with mmdebstrap and imported, cached in podman's store under a tag derived from its inputs.
 * One line per check; exit 1 on any failure. Where the machine cannot run containers (not Linux, not
 * root, the packages not installable) it says why in one line and exits 0, so CI skips it.
 *
 * The containers run as compose.yaml describes them (container-config.ts holds the environment both
 * use): two workers on one task queue sharing PostgreSQL, the consent callback and the codec server
 * from the same image, read-only root filesystem with a tmpfs for the state directory.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sweepStatus } from '../client/index.js';
import { generateKeySpec } from '../codec/keys.js';
import { startEmulatorStack } from '@inbox-agent/emulators/stack';
import { followMagicLink } from '../test/helpers/magic-link.js';
import { freePort } from '../test/helpers/ports.js';
import { containerEnv, IMAGE_COMMANDS, IMAGE_STATE_DIR } from './container-config.js';
import { setUpClient, startDevServer } from './dev-server.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

/** The base's inputs; the tag carries their hash, so a change builds a new base and an old one is reused. */
const BASE = { suite: 'trixie', variant: 'minbase', include: ['nodejs', 'npm', 'ca-certificates'] };
const IMAGE = 'localhost/inbox-agent:check';
/** What the project adds on top of the base (compiled dist/ and production node_modules). */
const IMAGE_BUDGET_MB = 250;
const SHUTDOWN_GRACE_S = 20;
/** compose.yaml's stop_grace_period over the worker's grace: cancelled activities report, then exit. */
const STOP_MARGIN_S = 15;
const FLEET_USERS = 8;
const EMAILS_PER_USER = 2;
/** The machine's own CA bundle: registries are reached through a CA it trusts. Build-time only. */
const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';

/**
 * Global flags that work on this machine kind: runc (crun fails on its hybrid cgroups), cgroupfs (no
 * systemd), and the check's own store, so it never meets a user's images or locks. Overlay where the
 * kernel allows it (here it does; minutes and gigabytes less than vfs, which copies every layer
 * whole), vfs otherwise.
 */
const STORE = process.env.INBOX_AGENT_CONTAINER_STORE ?? '/var/lib/inbox-agent/containers';
const PODMAN = [
  '--root',
  join(STORE, 'storage'),
  '--runroot',
  join(STORE, 'run'),
  '--runtime',
  'runc',
  '--cgroup-manager',
  'cgroupfs',
];

function chooseStorageDriver(): void {
  const overlay = spawnSync(
    'podman',
    [...PODMAN, '--storage-driver', 'overlay', 'info', '--format', '{{.Store.GraphDriverName}}'],
    {
      encoding: 'utf8',
    },
  );
  PODMAN.push('--storage-driver', overlay.status === 0 && overlay.stdout.trim() === 'overlay' ? 'overlay' : 'vfs');
}

function podman(args: string[], options: { timeoutMs?: number } = {}) {
  return run('podman', [...PODMAN, ...args], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 600_000,
  }).then((r) => r.stdout.trim());
}

/**
 * Exit code and output, never a throw. Asynchronous on purpose: the emulators run in this process,
 * and a synchronous `podman stop` (20 s and more) would freeze them while the workers call them.
 */
function podmanStatus(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('podman', [...PODMAN, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}`.trim() });
    });
  });
}

const has = (cmd: string) => spawnSync('bash', ['-c', `command -v ${cmd}`]).status === 0;
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

let failures = 0;
function report(ok: boolean, what: string, detail = ''): void {
  if (!ok) failures += 1;
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}${detail ? `: ${detail}` : ''}`);
}

function skip(why: string): never {
  console.log(`check:container: skipped: ${why}`);
  process.exit(0);
}

/** Podman, runc and mmdebstrap from Debian's packages when missing; a machine that can't is skipped. */
function ensureTools(): void {
  if (process.platform !== 'linux') skip('containers are checked on Linux only');
  if (process.getuid?.() !== 0) skip('needs root for podman with vfs storage on this machine kind');
  const missing = ['podman', 'runc', 'mmdebstrap'].filter((c) => !has(c));
  if (missing.length === 0) return;
  console.log(`check:container: installing ${missing.join(', ')} from Debian's packages`);
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (install.status !== 0)
    skip(`could not install ${missing.join(', ')}: ${install.stderr.trim().split('\n').at(-1)}`);
}

/** Hard limits podman may ask for: its defaults exceed this sandbox's and fail with `setrlimit`. */
function ulimits(): string[] {
  const [nofile, nproc] = execFileSync('bash', ['-c', 'ulimit -Hn; ulimit -Hu'], { encoding: 'utf8' }).split('\n');
  const cap = (v: string | undefined, max: number) => (v === 'unlimited' || !v ? max : Math.min(Number(v), max));
  const files = cap(nofile, 65536);
  const procs = cap(nproc, 4096);
  return ['--ulimit', `nofile=${files}:${files}`, '--ulimit', `nproc=${procs}:${procs}`];
}

async function baseImage(): Promise<string> {
  const hash = execFileSync('sha256sum', { input: JSON.stringify(BASE), encoding: 'utf8' }).slice(0, 12);
  const tag = `localhost/inbox-agent-base:node20-${BASE.suite}-${hash}`;
  if ((await podmanStatus(['image', 'exists', tag])).code === 0) {
    report(true, 'base image', `${tag} (reused)`);
    return tag;
  }
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'inbox-agent-base-'));
  try {
    const tar = join(dir, 'base.tar');
    await run('mmdebstrap', [`--variant=${BASE.variant}`, `--include=${BASE.include.join(',')}`, BASE.suite, tar], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 900_000,
    });
    await podman(['import', tar, tag]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  report(true, 'base image', `${tag} built in ${seconds(started)}`);
  return tag;
}

async function buildImage(base: string): Promise<void> {
  const started = Date.now();
  // --format docker keeps HEALTHCHECK (OCI images drop it). The CA bundle is mounted for the build
  // only and NODE_EXTRA_CA_CERTS is a build argument, so neither reaches the final image.
  await podman(
    [
      'build',
      '--network',
      'host',
      '--format',
      'docker',
      '--layers',
      '-v',
      `${HOST_CA}:${HOST_CA}:ro`,
      '--build-arg',
      `NODE_IMAGE=${base}`,
      '--build-arg',
      `NODE_EXTRA_CA_CERTS=${HOST_CA}`,
      '-t',
      IMAGE,
      '-f',
      join(root, 'Dockerfile'),
      root,
    ],
    { timeoutMs: 1_800_000 },
  );
  report(true, 'image built from the Dockerfile', `${IMAGE} in ${seconds(started)}`);
}

interface ImageConfig {
  User: string;
  Healthcheck?: { Test: string[] };
  Env: string[];
  Cmd: string[];
}

interface ImageInfo {
  Size: number;
  Config: ImageConfig;
  /** Podman reports the image's HEALTHCHECK here (docker format), beside `Config`. */
  Healthcheck?: { Test: string[] };
}

async function inspectImage(base: string): Promise<ImageConfig> {
  const [info] = JSON.parse(await podman(['image', 'inspect', IMAGE])) as ImageInfo[];
  const [baseInfo] = JSON.parse(await podman(['image', 'inspect', base])) as Array<{ Size: number }>;
  const addedMb = (info!.Size - baseInfo!.Size) / 1e6;
  report(
    addedMb <= IMAGE_BUDGET_MB,
    `image size`,
    `${(info!.Size / 1e6).toFixed(0)} MB, ${addedMb.toFixed(0)} MB over the base (budget ${IMAGE_BUDGET_MB} MB)`,
  );
  const config = { ...info!.Config, Healthcheck: info!.Healthcheck ?? info!.Config.Healthcheck };
  report(!!config.User && !/^(0|root)(:|$)/.test(config.User), 'runs as a non-root user', config.User || 'no USER');
  report(!!config.Healthcheck?.Test?.length, 'HEALTHCHECK kept', config.Healthcheck?.Test.join(' ') ?? 'none');
  const leaked = config.Env.filter((e) => /^NODE_EXTRA_CA_CERTS=|CERT/i.test(e));
  report(leaked.length === 0, 'no build-time CA settings in the image', leaked.join(' ') || 'none');
  return config;
}

/** What the final stage holds, read inside the image: no dev dependencies, no emulators, no test tree. */
async function checkContents(): Promise<void> {
  const probe = `
    const fs = require('fs'), path = require('path');
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
    const installed = JSON.parse(fs.readFileSync('node_modules/.package-lock.json', 'utf8')).packages;
    const needed = (d) => Object.values(installed).some((p) => p.dependencies && d in p.dependencies);
    const dev = Object.keys(pkg.devDependencies || {}).filter((d) => !(pkg.dependencies || {})[d]);
    const present = dev.filter((d) => fs.existsSync(path.join('node_modules', d)) && !needed(d));
    const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
    const dist = walk('dist');
    console.log(JSON.stringify({
      uid: process.getuid(), node: process.version, devPresent: present,
      tsx: fs.existsSync('node_modules/tsx') || fs.existsSync('node_modules/.bin/tsx'),
      emulators: dist.filter((f) => f.startsWith('dist/emulators')).length,
      tests: dist.filter((f) => f.startsWith('dist/test')).length,
      testMaps: dist.filter((f) => f.endsWith('.map') && /test/.test(f)).length,
      caBundle: fs.existsSync(process.env.NODE_EXTRA_CA_CERTS || '/nonexistent'),
    }));`;
  const found = JSON.parse(
    await podman(['run', '--rm', '--network', 'none', '--no-healthcheck', ...ulimits(), IMAGE, 'node', '-e', probe]),
  ) as {
    uid: number;
    node: string;
    devPresent: string[];
    tsx: boolean;
    emulators: number;
    tests: number;
    testMaps: number;
  };
  report(found.uid !== 0, 'process uid inside the container', String(found.uid));
  report(
    found.devPresent.length === 0 && !found.tsx,
    'no dev dependencies, no tsx',
    found.devPresent.join(', ') || 'none',
  );
  report(found.emulators === 0, 'no emulators in dist/', `${found.emulators} files`);
  report(
    found.tests === 0 && found.testMaps === 0,
    'no test tree or its source maps',
    `${found.tests + found.testMaps} files`,
  );
  console.log(`      node in the image: ${found.node}`);
}

async function main(): Promise<void> {
  ensureTools();
  chooseStorageDriver();
  const base = await baseImage();
  await buildImage(base);
  const config = await inspectImage(base);
  await checkContents();
  await runStack(config);
  console.log(failures === 0 ? 'check:container: all checks passed' : `check:container: ${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

/**
 * The fleet across two worker containers, a drain on SIGTERM, the health check both ways, and the
 * callback and codec server from the same image.
 */
async function runStack(image: ImageConfig): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const names: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'inbox-agent-containers-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  try {
    const temporal = await startDevServer();
    let temporalUp = true;
    const stopTemporal = async () => {
      if (temporalUp) await temporal.teardown();
      temporalUp = false;
    };
    cleanups.unshift(stopTemporal);
    // Its own temporary folder: the server runs as the postgres user, who cannot enter `dir` (0700).
    const pgDir = await mkdtemp(join(tmpdir(), 'inbox-agent-containers-pg-'));
    cleanups.push(() => rm(pgDir, { recursive: true, force: true }));
    const pgScript = join(root, 'scripts', 'postgres');
    const { stdout: databaseUrl } = await run('bash', [pgScript, 'start', pgDir, String(await freePort())]);
    cleanups.unshift(() => run('bash', [pgScript, 'stop', pgDir]));
    const emulators = await startEmulatorStack();
    cleanups.unshift(() => emulators.close());

    const codecKeys = generateKeySpec('container-check');
    const callbackPort = await freePort();
    const callbackUrl = `http://127.0.0.1:${callbackPort}`;
    const taskQueue = `container-check-${process.pid}`;
    const shared = containerEnv({
      temporalAddress: temporal.address,
      namespace: temporal.namespace ?? 'default',
      taskQueue,
      databaseUrl: databaseUrl.trim(),
      codecKeys,
      sealKeys: generateKeySpec('container-check-seal'),
      consentKey: randomBytes(32).toString('base64'),
      services: emulators.env,
      shutdownGrace: `${SHUTDOWN_GRACE_S}s`,
      callbackUrl,
    });
    // No health timer (podman runs it through systemd, absent here): the check runs the command itself.
    const flags = ['--network', 'host', '--health-interval', 'disable', ...ulimits()];
    const readOnly = [
      '--read-only',
      '--tmpfs',
      `${IMAGE_STATE_DIR}:rw,size=64m,mode=1777`,
      '--tmpfs',
      '/tmp:rw,size=64m',
    ];

    /** Env files keep keys out of the process list; each container gets its own metrics port. */
    const start = async (name: string, env: Record<string, string>, cmd: string[] = []) => {
      const envFile = join(dir, `${name}.env`);
      await writeFile(
        envFile,
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n'),
        { mode: 0o600 },
      );
      await podmanStatus(['rm', '-f', name]);
      await podman(['run', '-d', '--name', name, ...flags, ...readOnly, '--env-file', envFile, IMAGE, ...cmd]);
      names.push(name);
      cleanups.unshift(async () => podmanStatus(['rm', '-f', '-t', '0', name]));
    };
    const logs = async (name: string) => (await podmanStatus(['logs', name])).out;
    const waitForLog = async (name: string, text: string, timeoutMs = 60_000) => {
      const end = Date.now() + timeoutMs;
      while (!(await logs(name)).includes(text)) {
        if (Date.now() > end) throw new Error(`${name} did not log "${text}":\n${await logs(name)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    const metricsPorts = [await freePort(), await freePort()];
    const workers = ['inbox-agent-check-worker-1', 'inbox-agent-check-worker-2'];
    let started = Date.now();
    for (const [i, name] of workers.entries()) {
      await start(name, { ...shared, INBOX_AGENT_METRICS_ADDRESS: `127.0.0.1:${metricsPorts[i]}` });
    }
    for (const name of workers) await waitForLog(name, 'inbox-agent worker started');
    report(true, 'two worker containers started (read-only root, tmpfs state dir)', seconds(started));
    const write = await podmanStatus(['exec', workers[0]!, 'sh', '-c', 'touch /app/written 2>&1']);
    report(write.code !== 0, 'root filesystem is read-only', write.out.split('\n')[0] ?? '');

    const healthTest = image.Healthcheck?.Test ?? [];
    const healthCmd = healthTest[0] === 'CMD' ? healthTest.slice(1) : ['sh', '-c', healthTest.slice(1).join(' ')];
    const healthy = await podmanStatus(['exec', workers[0]!, ...healthCmd]);
    report(healthy.code === 0, 'HEALTHCHECK passes while healthy', healthy.out || 'exit 0');

    const inbox = await setUpClient(temporal, codecKeys, taskQueue);

    // The fleet: every e-mail exactly one event, with both containers doing the work.
    const users = Array.from({ length: FLEET_USERS }, (_, i) => `container-user-${i}`);
    for (const id of users) {
      emulators.scalekit.seedUser(id, {
        connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' },
        emails: Array.from({ length: EMAILS_PER_USER }, (_, n) => ({
          from: 'Dana Reyes <dana@acme.example>',
          subject: `Plan ${n} for ${id}`,
          body: 'The Q3 plan needs your review and approval by Friday; finance is waiting on it.',
        })),
      });
    }
    started = Date.now();
    const outcomes = await Promise.all(users.map((id) => inbox.sweep(id, { requestId: `fleet-${id}` })));
    const completed = outcomes.filter((r) => r.outcome === 'completed').length;
    const exactlyOnce = users.every((id) => {
      const titles = emulators.scalekit.calendarEvents(id).map((e) => e.summary);
      return titles.length === EMAILS_PER_USER && new Set(titles).size === titles.length;
    });
    const sweepsPer = await Promise.all(metricsPorts.map((port) => completedActivities(port)));
    report(
      completed === users.length && exactlyOnce && sweepsPer.every((n) => n > 0),
      'fleet across both containers',
      `${completed}/${users.length} sweeps completed in ${seconds(started)}, ${users.length * EMAILS_PER_USER} e-mails → ` +
        `${exactlyOnce ? 'one event each' : 'NOT one event each'}; activities per container ${sweepsPer.join(' / ')}`,
    );

    // SIGTERM mid-session: the stopped container drains within its grace time, the other finishes.
    emulators.agents.setStepDelay(1_000);
    const late = Array.from({ length: 4 }, (_, i) => `container-drain-${i}`);
    for (const id of late) {
      emulators.scalekit.seedUser(id, {
        connections: { gmail: 'ACTIVE', googlecalendar: 'ACTIVE' },
        emails: [{ from: 'Dana Reyes <dana@acme.example>', subject: `Drain ${id}`, body: 'Please review by Friday.' }],
      });
    }
    const sweeps = late.map((id) => inbox.sweep(id, { requestId: `drain-${id}` }));
    const end = Date.now() + 60_000;
    while (emulators.agents.sessions().filter((s) => s.status === 'running').length < 2 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
    }
    started = Date.now();
    // The worker gets INBOX_AGENT_SHUTDOWN_GRACE for running activities, then cancels them and exits;
    // podman's stop timeout (grace + STOP_MARGIN_S) is where a worker that did not drain gets SIGKILL.
    const stopped = await podmanStatus(['stop', '-t', String(SHUTDOWN_GRACE_S + STOP_MARGIN_S), workers[0]!]);
    const drainMs = Date.now() - started;
    const exit = (await podmanStatus(['inspect', '--format', '{{.State.ExitCode}}', workers[0]!])).out;
    report(
      stopped.code === 0 && exit === '0' && drainMs < (SHUTDOWN_GRACE_S + STOP_MARGIN_S) * 1000,
      'SIGTERM drains before the stop timeout, exit 0',
      `exited ${exit} after ${(drainMs / 1000).toFixed(1)} s (grace ${SHUTDOWN_GRACE_S} s, stop timeout ${SHUTDOWN_GRACE_S + STOP_MARGIN_S} s)`,
    );
    const lateReports = await Promise.all(sweeps);
    const lateOnce = late.every((id) => emulators.scalekit.calendarEvents(id).length === 1);
    for (const r of lateReports.filter((r) => r.outcome !== 'completed')) {
      const { identifier, outcome, session, messages } = r;
      console.log(`      ${identifier}: ${outcome} ${JSON.stringify({ session, messages })}`);
      console.log(`      events: ${emulators.scalekit.calendarEvents(identifier).length}`);
    }
    report(
      lateReports.every((r) => r.outcome === 'completed') && lateOnce,
      'the other container finishes the work, no duplicate',
      `${lateReports.map((r) => r.outcome).join(', ')}; ${lateOnce ? 'one event each' : 'NOT one event each'}`,
    );
    emulators.agents.setStepDelay(0);

    await checkCodecServer(start, waitForLog, codecKeys);

    // The consent callback from the same image, its identity from a trusted proxy's header (here:
    // this script, on loopback): one consent through it wakes a waiting sweep, which completes.
    await start(
      'inbox-agent-check-callback',
      {
        ...shared,
        INBOX_AGENT_CALLBACK_PORT: String(callbackPort),
        INBOX_AGENT_CALLBACK_HOST: '127.0.0.1',
        INBOX_AGENT_CALLBACK_URL: callbackUrl,
        INBOX_AGENT_CALLBACK_IDENTITY: 'proxy',
        INBOX_AGENT_CALLBACK_TRUSTED_PROXIES: 'loopback',
      },
      [...IMAGE_COMMANDS.callback],
    );
    await waitForLog('inbox-agent-check-callback', 'consent callback on');
    const consentUser = 'container-consent';
    emulators.scalekit.seedUser(consentUser, {
      connections: { gmail: 'EXPIRED', googlecalendar: 'ACTIVE' },
      emails: [{ from: 'Dana Reyes <dana@acme.example>', subject: 'Consent check', body: 'Please review by Friday.' }],
    });
    const waiting = await inbox.startSweep(consentUser, { reauthTimeout: '10 minutes' });
    let link: string | undefined;
    for (const end = Date.now() + 60_000; !link && Date.now() < end;) {
      link = (await sweepStatus(waiting).catch(() => undefined))?.authLinks?.[0]?.url;
      if (!link) await new Promise((r) => setTimeout(r, 250));
    }
    const back = link ? (await followMagicLink(link)).headers.get('location') : null;
    const verified = back ? await fetch(back, { headers: { 'x-forwarded-user': consentUser } }) : undefined;
    const consentReport = verified?.ok ? await waiting.result() : undefined;
    report(
      consentReport?.outcome === 'completed' && emulators.scalekit.calendarEvents(consentUser).length === 1,
      'consent through the callback container wakes the sweep',
      `link ${link ? 'shown' : 'missing'}, callback answered ${verified?.status ?? 'nothing'}, sweep ${consentReport?.outcome ?? 'not finished'}`,
    );

    // Last, as it takes Temporal away: the health check must then fail.
    await stopTemporal();
    const unhealthy = await podmanStatus(['exec', workers[1]!, ...healthCmd]);
    report(unhealthy.code !== 0, 'HEALTHCHECK fails when Temporal is unreachable', unhealthy.out.split('\n')[0] ?? '');
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
  }
}

/** The codec server runs from the same image with its own command. */
async function checkCodecServer(
  start: (name: string, env: Record<string, string>, cmd?: string[]) => Promise<void>,
  waitForLog: (name: string, text: string) => Promise<void>,
  codecKeys: string,
): Promise<void> {
  const token = randomBytes(24).toString('hex');
  const codecPort = await freePort();
  await start(
    'inbox-agent-check-codec',
    {
      INBOX_AGENT_CODEC_KEYS: codecKeys,
      INBOX_AGENT_CODEC_SERVER_TOKEN: token,
      INBOX_AGENT_CODEC_SERVER_PORT: String(codecPort),
    },
    ['node', 'dist/codec/main.js'],
  );
  await waitForLog('inbox-agent-check-codec', 'codec server on');
  const payload = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from('"x"').toString('base64'),
  };
  const encoded = await fetch(`http://127.0.0.1:${codecPort}/encode`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ payloads: [payload] }),
  }).then((r) => r.json() as Promise<{ payloads: Array<{ data: string }> }>);
  const decoded = await fetch(`http://127.0.0.1:${codecPort}/decode`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(encoded),
  }).then((r) => r.json() as Promise<{ payloads: Array<{ data: string }> }>);
  report(
    decoded.payloads?.[0]?.data === payload.data && encoded.payloads?.[0]?.data !== payload.data,
    'codec server from the image encodes and decodes',
    `node dist/codec/main.js`,
  );
}

/** Activity tasks a worker container completed, from its runtime's Prometheus endpoint. */
async function completedActivities(port: number): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  return text
    .split('\n')
    .filter((l) => /^temporal_activity_execution_latency(_seconds)?_count\b/.test(l))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).at(-1)), 0);
}

main().catch((err: unknown) => {
  console.error(`check:container: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
