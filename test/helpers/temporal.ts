import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { DefaultLogger, NativeConnection, Runtime, type Logger } from '@temporalio/worker';
import { inject } from 'vitest';
import { dataConverter } from '../../codec/data-converter.js';

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

export { TEST_LIMITS, workflowBundle } from './bundle.js';

/** A task queue and IDs of one test's own, so tests never see each other's workflows. */
export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
