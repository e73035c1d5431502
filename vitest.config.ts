import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // One dev server for the suite; files share it through unique task queues, ids and state dirs, so
    // they run side by side. A native Temporal runtime is per process, hence forks; two at a time
    // already hides most of the waiting on the server, and more would fight over the CPU.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: Number(process.env.INBOX_AGENT_TEST_WORKERS ?? 2),
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
