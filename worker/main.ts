import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Runtime } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/index.js';
import { describeDatabaseUrl } from '../activities/state/index.js';
import { dataConverter } from '../codec/data-converter.js';
import { ConfigError, parseWorkerConfig } from './config.js';
import { createInboxWorker } from './create-worker.js';
import { buildActivityDeps } from './deps.js';

/** The worker process: Temporal from envconfig (so Temporal Cloud works by env vars), APIs from env. */
async function main(): Promise<void> {
  const config = parseWorkerConfig();
  // The runtime's Prometheus endpoint, which the image's HEALTHCHECK asks (worker/healthcheck.ts).
  const bindAddress = config.INBOX_AGENT_METRICS_ADDRESS;
  if (bindAddress) Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress } } } });
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  const clientConnection = await Connection.connect(connectionOptions);
  let deps: ActivityDeps | undefined;
  try {
    const converter = dataConverter(config.INBOX_AGENT_CODEC_KEYS);
    const client = new Client({ connection: clientConnection, namespace, dataConverter: converter });
    deps = await buildActivityDeps(config, client);
    const worker = await createInboxWorker({
      dataConverter: converter,
      connection,
      namespace,
      taskQueue: config.INBOX_AGENT_TASK_QUEUE,
      deps,
      maxConcurrentActivityTaskExecutions: config.INBOX_AGENT_MAX_CONCURRENT_ACTIVITIES,
    });
    // The SDK installs SIGINT/SIGTERM handlers that call worker.shutdown(): in-flight activities get
    // the grace time, and a session in progress is re-attached by the next worker that picks it up.
    console.log(
      `inbox-agent worker on ${connectionOptions.address ?? 'localhost:7233'}/${namespace}, queue ${config.INBOX_AGENT_TASK_QUEUE}, state in ${describeDatabaseUrl(config.INBOX_AGENT_DATABASE_URL)}`,
    );
    await worker.run();
  } finally {
    await deps?.state.close();
    await connection.close();
    await clientConnection.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`inbox-agent worker: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
