/**
 * The benchmark's other processes: the emulators and the worker each run on their own, so the
 * figures measure the worker and Temporal rather than the emulators' CPU, and the worker's RSS and
 * CPU time are its own (read from /proc: no library reads one process's peak RSS and CPU time).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  process: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** `node --import tsx <script>`: one process (the tsx CLI would put a wrapper process in between). */
function spawnTs(script: string, args: string[], env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    // stderr is the SDK's lifecycle chatter; it is kept for the error message should the process die.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The last lines a child wrote to stderr, for reporting its death. */
function tailOfStderr(child: ChildProcess, keep = 40): () => string {
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    lines.push(line);
    if (lines.length > keep) lines.shift();
  });
  return () => lines.join('\n');
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
}

/** Resolves with the lines printed up to (and including) the first that matches `ready`. */
function waitForLine(child: ChildProcess, ready: RegExp, timeoutMs = 60_000): Promise<string[]> {
  const stderr = tailOfStderr(child);
  child.once('exit', (code, signal) => {
    // SIGTERM and SIGKILL are the benchmark's own doing.
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL')
      console.error(`process ${child.pid} died (${code ?? signal}):\n${stderr()}`);
  });
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const timer = setTimeout(() => reject(new Error(`no line matching ${ready} within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`process exited (${code}) before printing ${ready}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (ready.test(line)) {
        clearTimeout(timer);
        resolve(lines);
      }
    });
  });
}

export interface EmulatorProcess extends Child {
  env: Record<string, string>;
  scalekitUrl: string;
  anthropicUrl: string;
}

export async function startEmulatorProcess(): Promise<EmulatorProcess> {
  // Scalekit's dashboard-users test mode: the benchmark runs workers without a consent callback.
  const child = spawnTs(
    'emulators/main.ts',
    ['--scalekit-port', '0', '--anthropic-port', '0', '--no-demo', '--user-verification', 'dashboard'],
    {},
  );
  const lines = await waitForLine(child, /^export ANTHROPIC_ENVIRONMENT_ID=/);
  const env = Object.fromEntries(
    lines.flatMap((l) => {
      const m = /^export ([A-Z_]+)=([^$].*)$/.exec(l);
      return m ? [[m[1]!, m[2]!]] : [];
    }),
  );
  return {
    process: child,
    pid: child.pid!,
    env,
    scalekitUrl: env.SCALEKIT_ENV_URL!,
    anthropicUrl: env.ANTHROPIC_BASE_URL!,
    stop: stopper(child),
  };
}

/**
 * The worker as production runs it, compiled with the prebuilt workflow bundle (`npm run build`),
 * when a build is there; otherwise from source through tsx, which bundles the workflows at start and
 * so shows a higher peak RSS than a deployed worker has.
 */
export const compiledWorker =
  existsSync(join(root, 'dist/worker/main.js')) && existsSync(join(root, 'dist/workflow-bundle.js'));

/** `nodeArgs`: e.g. `--cpu-prof` (refused in NODE_OPTIONS), for `npm run bench -- --profile-dir`. */
export async function startWorkerProcess(env: Record<string, string>, nodeArgs: string[] = []): Promise<Child> {
  const child = compiledWorker
    ? spawn(process.execPath, [...nodeArgs, 'dist/worker/main.js'], {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawnTs('worker/main.ts', [], env);
  await waitForLine(child, /inbox-agent worker started/);
  return { process: child, pid: child.pid!, stop: stopper(child) };
}

export interface ProcessFigures {
  /** Peak resident set size since the process started (VmHWM), bytes. */
  peakRss: number;
  rss: number;
  /** User + system CPU time, seconds. */
  cpuSeconds: number;
}

export function processFigures(pid: number): ProcessFigures {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name, in clock ticks (100/s on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRss: kib('VmHWM'), rss: kib('VmRSS'), cpuSeconds: ticks / 100 };
}

/** The emulators' HTTP control plane (`/_emulator/*`). */
export function controlPlane(baseUrl: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : ((await res.json()) as unknown);
  };
  return {
    call,
    counters: async () => (await call('GET', '/_emulator/counters')) as Record<string, number>,
    inject: (rule: Record<string, unknown>) => call('POST', '/_emulator/faults', rule),
  };
}
