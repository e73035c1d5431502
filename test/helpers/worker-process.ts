import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { root } from './cli.js';
import { startTestStack, type TestStack } from './stack.js';

/** Every worker process the helpers spawned, so a file's clean-up ends those a failed test left. */
const spawned = new Set<ChildProcess>();

/** worker/main.ts as its own process, as production runs it, with its output kept for failure messages. */
export function spawnWorker(
  env: Record<string, string>,
  args: string[] = [],
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** SIGKILL, as a lost host or the OOM killer ends it: no drain, no clean-up; resolves once it is gone. */
export async function killWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * The stack of a test file that runs worker/main.ts as its own process: `setup` (agent, MCP config)
 * runs on an in-process worker that then stops, so only the spawned processes poll the task queue.
 * After the file, every worker process spawned is SIGKILLed and the stack closed. Read `.stack` in
 * the tests (it is set before they run).
 */
export function workerProcessStack(name: string): { stack: TestStack } {
  const holder = {} as { stack: TestStack };
  beforeAll(async () => {
    holder.stack = await startTestStack(name);
    const setupWorker = await holder.stack.startWorker();
    await holder.stack.inbox.setup();
    await setupWorker.stop();
  });
  afterAll(async () => {
    await Promise.all([...spawned].map(killWorker));
    await holder.stack?.close();
  });
  return holder;
}
