import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedUser } from './helpers/demo.js';
import { killWorker, spawnWorker, workerProcessStack } from './helpers/worker-process.js';

describe('npm run worker -- --processes N', () => {
  const ctx = workerProcessStack('processes');
  let child: ChildProcess | undefined;

  it(
    'runs N worker processes on the task queue; SIGTERM drains them all and the primary exits 0',
    { timeout: 120_000 },
    async () => {
      const spawned = spawnWorker(ctx.stack.workerEnv, ['--processes', '2']);
      child = spawned.child;
      await vi.waitFor(
        () => {
          const started = spawned.output().match(/inbox-agent worker started/g) ?? [];
          if (started.length < 2) throw new Error(`not both started yet:\n${spawned.output()}`);
        },
        { timeout: 60_000, interval: 200 },
      );
      expect(spawned.output()).toContain('1 of 2');
      expect(spawned.output()).toContain('2 of 2');
      const users = [seedUser(ctx.stack), seedUser(ctx.stack), seedUser(ctx.stack)];
      const reports = await Promise.all(users.map((u) => ctx.stack.inbox.sweep(u)));
      expect(reports.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed']);

      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 40_000))]);
      if (code !== 0) console.log(spawned.output());
      expect(code).toBe(0);
      expect(spawned.output().match(/inbox-agent worker stopped/g)).toHaveLength(2);
      child = undefined;
    },
  );
});
