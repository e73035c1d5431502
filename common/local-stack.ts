/**
 * How the CLI finds the stack `npm start` runs (or ran) in this checkout, with nothing exported by
 * hand: `npm start` writes the address and keys it chose to `<state dir>/.env.local` (mode 0600),
 * and the CLI reads that file and `.env`, as `npm start` does. Precedence, highest first: the
 * process environment, `<state dir>/.env.local`, `.env`. Parsed with Node's own `util.parseEnv`
 * (the parser behind `--env-file`), so both files follow one dotenv syntax.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseEnv } from 'node:util';

export type Env = Record<string, string | undefined>;

/** The state directory of `npm start` (and the worker's SQLite default): `INBOX_AGENT_STATE_DIR` or `.data`. */
export const stateDirOf = (env: Env): string => resolve(env.INBOX_AGENT_STATE_DIR ?? '.data');

export const LOCAL_ENV_FILE = '.env.local';
/** The environment of `npm start`'s worker, for running the compiled worker beside it. */
export const WORKER_ENV_FILE = 'worker.env';

/** The variables `npm start` hands to clients: what reaches and decodes its Temporal. */
export const CLIENT_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'INBOX_AGENT_TASK_QUEUE',
  'INBOX_AGENT_CODEC_KEYS',
] as const;

/** Where each setting a client uses came from, for `--verbose` (names only: values may be secrets). */
export interface EnvSource {
  file: string;
  names: string[];
  /** For `.env.local`: the `npm start` process that wrote it, and whether it still runs. */
  writer?: { pid: number; running: boolean; at?: string };
}

export interface LocalEnv {
  env: Env;
  sources: EnvSource[];
}

const quote = (value: string) => `'${value.replaceAll("'", '')}'`;

/**
 * Writes `vars` as a dotenv file only its owner can read. Values are single-quoted (no expansion);
 * the variables written here never contain a quote.
 */
export async function writeEnvFile(path: string, header: string[], vars: Env): Promise<void> {
  const lines = [
    ...header.map((h) => `# ${h}`),
    ...Object.entries(vars)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, value]) => `${name}=${quote(value)}`),
  ];
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  // An existing file keeps its mode on write: make sure it is the owner's only.
  await chmod(path, 0o600);
}

/** What `npm start` writes for clients: the header names its process, so `--verbose` can say if it runs. */
export function writeLocalStack(env: Env, pid = process.pid): Promise<void> {
  const vars = Object.fromEntries(CLIENT_VARIABLES.map((name) => [name, env[name]]));
  return writeEnvFile(
    join(stateDirOf(env), LOCAL_ENV_FILE),
    [
      `written by npm start (pid ${pid}) at ${new Date().toISOString()}: the CLI reads it when these are not set`,
      'explicit environment variables win over this file; .env is read after it',
    ],
    vars,
  );
}

function readEnvFile(path: string): Env | undefined {
  if (!existsSync(path) || !statSync(path).isFile()) return undefined;
  return parseEnv(readFileSync(path, 'utf8'));
}

function writerOf(path: string): EnvSource['writer'] {
  const match = /^# written by npm start \(pid (\d+)\) at (\S+):/m.exec(readFileSync(path, 'utf8'));
  if (!match) return undefined;
  const pid = Number(match[1]);
  let running = true;
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone; EPERM: another user's process now holds the pid. Either way not npm start.
    running = false;
  }
  return { pid, running, at: match[2] };
}

/**
 * The environment a client runs with: `env` over `<state dir>/.env.local` over `.env`. The state
 * directory itself may be set in `.env`.
 */
export function loadLocalEnv(env: Env = process.env, cwd = process.cwd()): LocalEnv {
  const dotEnvPath = resolve(cwd, '.env');
  const dotEnv = readEnvFile(dotEnvPath) ?? {};
  const localPath = join(stateDirOf({ ...dotEnv, ...env }), LOCAL_ENV_FILE);
  const local = readEnvFile(localPath) ?? {};
  const merged: Env = { ...dotEnv, ...local, ...env };
  const sources: EnvSource[] = [];
  const used = (from: Env, over: Env[]) =>
    Object.keys(from)
      .filter((name) => over.every((o) => o[name] === undefined))
      .sort();
  const show = (path: string) => relative(cwd, path) || path;
  const fromEnv = used(env, []).filter((n) => /^(TEMPORAL_|INBOX_AGENT_)/.test(n));
  if (fromEnv.length) sources.push({ file: 'environment', names: fromEnv });
  const fromLocal = used(local, [env]);
  if (fromLocal.length) sources.push({ file: show(localPath), names: fromLocal, writer: writerOf(localPath) });
  const fromDotEnv = used(dotEnv, [env, local]);
  if (fromDotEnv.length) sources.push({ file: show(dotEnvPath), names: fromDotEnv });
  return { env: merged, sources };
}

/** "TEMPORAL_ADDRESS from .data/.env.local (npm start, pid 123, running)": one line per source. */
export function describeSources(sources: EnvSource[]): string[] {
  return sources.map((s) => {
    const writer = s.writer
      ? ` (written by npm start, pid ${s.writer.pid}, ${s.writer.running ? 'running' : 'no longer running'})`
      : '';
    return `${s.names.join(', ')} from ${s.file}${writer}`;
  });
}
