import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import type { Logger, Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/index.js';
import { InboxAgentClient } from '../../client/index.js';
import { startEmulatorStack, type EmulatorStack } from '@inbox-agent/emulators/stack';
import { generateKeySpec } from '../../codec/keys.js';
import { parseWorkerConfig } from '../../worker/config.js';
import { buildActivityDeps } from '../../worker/deps.js';
import { startInboxWorker, type StartInboxWorkerOptions } from '../../worker/start.js';
import { installTracing } from '../../worker/tracing.js';
import { connectTemporal, uniqueName, workflowBundle, type TestTemporal } from './temporal.js';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Everything a flow test drives: the suite's real Temporal dev server, both emulators, and workers
 * built exactly as worker/main.ts builds them, only with the emulators' URLs in the environment.
 */
export interface TestStack {
  temporal: TestTemporal;
  emulators: EmulatorStack;
  taskQueue: string;
  inbox: InboxAgentClient;
  deps: ActivityDeps;
  /** The environment `worker/main.ts` needs to join this stack as a separate process. */
  workerEnv: Record<string, string>;
  /**
   * What the CLI and foreign starters need to reach this stack: Temporal settings and the codec
   * keys, never Scalekit or Anthropic credentials.
   */
  clientEnv: Record<string, string>;
  /**
   * A worker wired as worker/main.ts wires it (startInboxWorker), on this stack's connection and
   * bundle, with these deps (default: the stack's) and data converter (default: the suite's).
   */
  startWorker(
    deps?: ActivityDeps,
    dataConverter?: DataConverter,
    options?: StartInboxWorkerOptions,
  ): Promise<RunningWorker>;
  close(): Promise<void>;
}

export async function startTestStack(name: string, logger?: Logger): Promise<TestStack> {
  const temporal = await connectTemporal(logger);
  const emulators = await startEmulatorStack();
  const stateDir = await mkdtemp(join(tmpdir(), 'inbox-agent-test-'));
  const taskQueue = uniqueName(name);
  const workerEnv = {
    ...emulators.env,
    INBOX_AGENT_TASK_QUEUE: taskQueue,
    INBOX_AGENT_STATE_DIR: stateDir,
    INBOX_AGENT_CODEC_KEYS: temporal.codecKeys,
    INBOX_AGENT_SEAL_KEYS: generateKeySpec('seal-test'),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
  };
  const clientEnv = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    INBOX_AGENT_TASK_QUEUE: taskQueue,
    INBOX_AGENT_CODEC_KEYS: temporal.codecKeys,
  };
  const config = parseWorkerConfig(workerEnv);
  const deps = await buildActivityDeps(config, temporal.client);
  const workers = new Set<RunningWorker>();

  return {
    temporal,
    emulators,
    taskQueue,
    inbox: new InboxAgentClient(temporal.client, taskQueue),
    deps,
    workerEnv,
    clientEnv,
    async startWorker(override = deps, dataConverter = temporal.dataConverter, options = {}) {
      const started = await startInboxWorker(config, {
        temporal: { connection: temporal.nativeConnection, client: temporal.client, namespace: temporal.namespace },
        dataConverter,
        deps: override,
        // The traced bundle only for a file that installed tracing (test/observability.test.ts).
        workflowBundle: await workflowBundle({}, { traced: installTracing(options.tracing).enabled }),
        shutdownGraceMs: 1000,
        ...options,
      });
      const running: RunningWorker = {
        worker: started.worker,
        done: started.done,
        async stop() {
          await started.stop();
          await started.done;
          workers.delete(running);
        },
      };
      workers.add(running);
      return running;
    },
    async close() {
      await Promise.all([...workers].map((w) => w.stop()));
      await deps.state.close();
      await emulators.close();
      await temporal.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
