import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Runtime, type Logger, type Worker, type WorkerOptions } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/index.js';
import { dataConverter as codecDataConverter } from '../codec/data-converter.js';
import type { WorkerConfig } from './config.js';
import { createInboxWorker } from './create-worker.js';
import { buildActivityDeps } from './deps.js';
import { createLogger, logSettings } from './logging.js';
import { watchReauthorizationWaits } from './metrics.js';
import { installTracing, type TracingOptions } from './tracing.js';
import { TemporalUnreachableError, temporalUnreachable } from '../common/errors.js';

export interface RuntimeSetup {
  /** host:port of the Prometheus endpoint (INBOX_AGENT_METRICS_ADDRESS); none when unset. */
  metricsAddress?: string;
  /** Default: JSON or text lines per INBOX_AGENT_LOG_FORMAT / INBOX_AGENT_LOG_LEVEL. */
  logger?: Logger;
}

/**
 * The process's Temporal runtime, installed once: our logger for SDK, workflow and activity logs,
 * and the Prometheus endpoint our own metrics export through. A runtime installed already (a test
 * file installs its own) is used as it is.
 */
export function installRuntime(setup: RuntimeSetup = {}): Runtime {
  if (Runtime._instance) return Runtime._instance;
  const bindAddress = setup.metricsAddress;
  return Runtime.install({
    logger: setup.logger ?? createLogger(logSettings()),
    telemetryOptions: bindAddress ? { metrics: { prometheus: { bindAddress } } } : undefined,
  });
}

export interface StartInboxWorkerOptions {
  /** Where Temporal's connection settings come from (envconfig); default process.env. */
  env?: Record<string, string | undefined>;
  /** A connection to share instead of connecting from envconfig (tests share the suite's). */
  temporal?: { connection: NativeConnection; client: Client; namespace: string };
  /** Activity deps instead of building them from config (tests inject faults); the caller owns them. */
  deps?: ActivityDeps;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Overrides INBOX_AGENT_SHUTDOWN_GRACE (ms). */
  shutdownGraceMs?: number;
  /** Default: the deployment's codec from INBOX_AGENT_CODEC_KEYS (tests pass the suite's, or a plain one). */
  dataConverter?: DataConverter;
  runtime?: RuntimeSetup;
  tracing?: TracingOptions;
  /** How often the re-authorization gauge is refreshed from visibility; default 30 s. */
  reauthGaugeIntervalMs?: number;
}

export interface InboxWorker {
  worker: Worker;
  /** A client on the worker's namespace (with the tracing interceptor), for the caller's own use. */
  client: Client;
  namespace: string;
  /** Settles when the worker has stopped (SIGTERM/SIGINT, `stop()`, or a fatal error). */
  done: Promise<void>;
  /** Graceful: running activities get the grace period, then everything this call opened is closed. */
  stop(): Promise<void>;
}

/**
 * The worker's wiring, written once for the worker process, `npm start` and the tests: runtime,
 * tracing, connections, deps, the worker itself (running on return), the re-authorization gauge,
 * and a stop that undoes it all in order. The SDK's own SIGINT/SIGTERM handlers begin the shutdown.
 */
export async function startInboxWorker(
  config: WorkerConfig,
  options: StartInboxWorkerOptions = {},
): Promise<InboxWorker> {
  installRuntime({ metricsAddress: config.INBOX_AGENT_METRICS_ADDRESS, ...options.runtime });
  const tracing = installTracing(options.tracing);
  const dataConverter = options.dataConverter ?? codecDataConverter(config.INBOX_AGENT_CODEC_KEYS);
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  };
  try {
    let { temporal } = options;
    if (!temporal) {
      const { connectionOptions, namespace = 'default' } = loadClientConnectConfig({
        overrideEnvVars: (options.env ?? process.env) as Record<string, string>,
      });
      const address = connectionOptions.address ?? 'localhost:7233';
      const connection = await NativeConnection.connect(connectionOptions).catch((err: unknown) => {
        throw new TemporalUnreachableError(
          temporalUnreachable(
            address,
            err,
            'is the server running, and are TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE (or temporal.toml) right?',
          ),
        );
      });
      closers.push(() => connection.close());
      const clientConnection = await Connection.connect(connectionOptions);
      closers.push(() => clientConnection.close());
      temporal = {
        connection,
        namespace,
        client: new Client({
          connection: clientConnection,
          namespace,
          dataConverter,
          interceptors: { workflow: [tracing.clientInterceptor] },
        }),
      };
    }
    const { connection, client, namespace } = temporal;
    let deps = options.deps;
    if (!deps) {
      const built = await buildActivityDeps(config, client);
      closers.push(() => built.state.close());
      deps = built;
    }
    const worker = await createInboxWorker({
      connection,
      namespace,
      taskQueue: config.INBOX_AGENT_TASK_QUEUE,
      deps,
      workflowBundle: options.workflowBundle,
      shutdownGraceMs: options.shutdownGraceMs ?? config.INBOX_AGENT_SHUTDOWN_GRACE,
      maxConcurrentActivityTaskExecutions: config.INBOX_AGENT_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentLocalActivityExecutions: config.INBOX_AGENT_MAX_CONCURRENT_LOCAL_ACTIVITIES,
      maxCachedWorkflows: config.INBOX_AGENT_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTaskExecutions: config.INBOX_AGENT_MAX_CONCURRENT_WORKFLOW_TASKS,
      dataConverter,
      tracing,
    });
    const done = worker.run();
    const stopGauge = watchReauthorizationWaits(client, config.INBOX_AGENT_TASK_QUEUE, options.reauthGaugeIntervalMs);
    let stopping: Promise<void> | undefined;
    return {
      worker,
      client,
      namespace,
      done,
      stop: () =>
        (stopping ??= (async () => {
          stopGauge();
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await done.catch(() => {});
          await closeAll();
        })()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
