import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, type Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import proto from '@temporalio/proto';
import { InboxAgentClient } from '../client/index.js';
import { dataConverter } from '../codec/data-converter.js';
import { searchAttributes } from '../workflows/contract.js';

const finder = fileURLToPath(new URL('./temporal-cli', import.meta.url));

/** The Temporal CLI that scripts/temporal-cli finds or installs; undefined when it could not. */
export function findTemporalCli(): string | undefined {
  try {
    return execFileSync('bash', [finder], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    return undefined;
  }
}

export interface DevServerOptions {
  /** Keeps state across restarts; in memory when omitted. */
  dbFilename?: string;
  port?: number;
  /** Serves the Web UI on this port. */
  uiPort?: number;
  /** The Web UI decodes payloads through this codec server (its URL carries the server's token). */
  codecEndpoint?: string;
  /** Serves the server's Prometheus metrics at http://127.0.0.1:<port>/metrics (the bench counts heartbeats there). */
  metricsPort?: number;
}

/**
 * A real `temporal server start-dev` with the project's search attributes. Where no CLI could be
 * found or installed it falls back to @temporalio/testing's own download, which needs a network.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const cli = findTemporalCli();
  if (!cli) console.warn('temporal-cli: falling back to the SDK download of the Temporal CLI (needs a network)');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      searchAttributes: Object.values(searchAttributes),
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
      log: { format: 'pretty', level: 'error' },
      extraArgs: [
        ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
        ...(options.metricsPort ? ['--metrics-port', String(options.metricsPort)] : []),
      ],
    },
  });
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** A reused database keeps the attributes its namespace was made with, so add what is missing. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.values(searchAttributes).filter((key) => !(key.name in (customAttributes ?? {})));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [key.name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
}

/** The typed client on a dev server, with the payload codec of these keys, after `setup` (the image checks). */
export async function setUpClient(
  temporal: TestWorkflowEnvironment,
  codecKeys: string,
  taskQueue: string,
): Promise<InboxAgentClient> {
  const client = new Client({
    connection: temporal.connection,
    namespace: temporal.namespace ?? 'default',
    dataConverter: dataConverter(codecKeys),
  });
  const inbox = new InboxAgentClient(client, taskQueue);
  await inbox.setup();
  return inbox;
}
