import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepWorkflowId } from '../workflows/contract.js';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The contract proven from outside TypeScript: Temporal's Python SDK against the real worker. */
describe('a Python starter that follows docs/contract.md', () => {
  let stack: TestStack;
  let python: string;

  beforeAll(async () => {
    // Installs the pinned temporalio into .venv when missing (a clean clone in CI).
    python = execFileSync('bash', ['scripts/python-sdk'], { cwd: root, encoding: 'utf8' }).trim();
    stack = await startTestStack('python');
    await stack.startWorker();
    await stack.inbox.setup();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('starts a sweep, queries status, signals reauthorized, reads the result; bad input is InvalidRequest', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const workflowId = sweepWorkflowId(identifier);
    const child = spawn(
      python,
      [
        'test/python/sweep_client.py',
        stack.temporal.address,
        stack.temporal.namespace,
        stack.taskQueue,
        identifier,
        workflowId,
      ],
      { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...stack.clientEnv } },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const steps: Record<string, Record<string, unknown>> = {};
    for await (const line of createInterface({ input: child.stdout })) {
      const step = JSON.parse(line) as { step: string } & Record<string, unknown>;
      steps[step.step] = step;
      if (step.step === 'status') {
        // The user clicks Allow; the Python side then sends `reauthorized`.
        stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
        child.stdin.write('go\n');
      }
    }
    expect(await exited, stderr).toBe(0);

    expect(steps.started).toMatchObject({ workflowId });
    expect(steps.status!.status).toMatchObject({
      identifier,
      phase: 'awaiting_reauthorization',
      inactiveConnections: ['gmail'],
      authLinks: [{ connection: 'gmail', url: expect.stringMatching(/\/magic\//) }],
    });
    expect(steps.result!.result).toMatchObject({ identifier, outcome: 'completed', reauthWaits: 1 });
    expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    expect(steps.invalid).toMatchObject({
      type: 'InvalidRequest',
      nonRetryable: true,
      message: expect.stringMatching(/reauthTimout/),
    });
  });
});
