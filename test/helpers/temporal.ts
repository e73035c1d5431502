import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  type Logger,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { inject } from 'vitest';
import webpack from 'webpack';
import type { Limits } from '../../workflows/limits.js';
import { dataConverter, failureConverterPath } from '../../codec/data-converter.js';
import { workflowsPath } from '../../worker/create-worker.js';
import { workflowInterceptorModules } from '../../worker/tracing.js';

export interface TestTemporal {
  address: string;
  namespace: string;
  client: Client;
  /** The suite's codec keys and the data converter built from them, as the Web UI's codec server has. */
  codecKeys: string;
  dataConverter: DataConverter;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** Attaches to the suite's dev server (see global-setup.ts). */
export async function connectTemporal(logger?: Logger): Promise<TestTemporal> {
  // Worker lifecycle chatter buries test output; warnings and errors still show. A test file that
  // needs its own runtime (a metrics endpoint, a captured logger) installs it before this.
  if (!Runtime._instance) {
    Runtime.install({
      logger: logger ?? new DefaultLogger((process.env.TEST_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN'),
    });
  }
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const codecKeys = inject('codecKeys');
  const converter = dataConverter(codecKeys);
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    namespace,
    // Traced when the test file registers a tracer provider (a no-op otherwise), as the worker's client is.
    client: new Client({
      connection,
      namespace,
      dataConverter: converter,
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    }),
    codecKeys,
    dataConverter: converter,
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/**
 * Tests wait seconds, not minutes: floors of 100 ms for `recheckEvery` and `remindEvery` (see
 * workflows/limits.ts), in the workflows this harness bundles and in this process's client checks.
 * Nothing outside the test harness defines this name, so the product keeps its own floors.
 */
export const TEST_LIMITS: Partial<Limits> = { minRecheckEveryMs: 100, minRemindEveryMs: 100 };
(globalThis as { INBOX_AGENT_TEST_LIMITS?: Partial<Limits> }).INBOX_AGENT_TEST_LIMITS = TEST_LIMITS;

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
/**
 * Bundling takes seconds: once per test file and set of limits. `limits` adds to TEST_LIMITS, e.g. a
 * small history budget so a wait continues as new within seconds.
 */
export function workflowBundle(limits: Partial<Limits> = {}): Promise<WorkflowBundleWithSourceMap> {
  const defined = JSON.stringify({ ...TEST_LIMITS, ...limits });
  let bundle = bundles.get(defined);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath,
      failureConverterPath,
      workflowInterceptorModules,
      logger: quietLogger,
      webpackConfigHook: (config) => ({
        ...config,
        plugins: [...(config.plugins ?? []), new webpack.DefinePlugin({ INBOX_AGENT_TEST_LIMITS: defined })],
      }),
    });
    bundles.set(defined, bundle);
  }
  return bundle;
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/** A task queue and IDs of one test's own, so tests never see each other's workflows. */
export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
