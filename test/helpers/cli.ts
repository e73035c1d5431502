import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A state directory no `npm start` wrote to: the CLI would otherwise find a developer's running stack
 * through `.data/.env.local` and talk to it instead of the test's.
 */
const NO_LOCAL_STACK = join(tmpdir(), 'inbox-agent-tests-no-local-stack');

/** Runs a TypeScript entry point of the project as its own process, with only the given environment. */
export async function node(script: string, args: string[], env: Record<string, string | undefined>): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, INBOX_AGENT_STATE_DIR: NO_LOCAL_STACK, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The JSON lines a command printed. */
export const jsonLines = <T = Record<string, unknown>>(stdout: string): T[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
