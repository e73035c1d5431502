import Anthropic from '@anthropic-ai/sdk';
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../activities/index.js';
import { ScalekitApi } from '../activities/apis/scalekit.js';
import { createSealer, sealKeys } from '../activities/seal.js';
import { describeDatabaseUrl, openUserStateStore } from '../activities/state/index.js';
import { sessionProgressSignal, sweepStartOptions } from '../workflows/contract.js';
import type { inboxSweep } from '../workflows/index.js';
import type { WorkerConfig } from './config.js';

const noop = () => {};
const messageOnlyLogger = {
  error: (message: string) => console.error(`anthropic: ${message}`),
  warn: (message: string) => console.warn(`anthropic: ${message}`),
  info: noop,
  debug: noop,
};

/**
 * The real clients behind the activities, from validated configuration. Opens the shared state
 * database (so a bad URL fails here, at start); whoever builds the deps closes `state` at shutdown.
 */
export async function buildActivityDeps(config: WorkerConfig, temporal: Client): Promise<ActivityDeps> {
  const url = config.INBOX_AGENT_DATABASE_URL;
  const state = await openUserStateStore(url).catch((err: unknown) => {
    throw new Error(`cannot open the state database (${describeDatabaseUrl(url)}): ${(err as Error).message}`, {
      cause: err,
    });
  });
  return {
    scalekit: new ScalekitApi({
      envUrl: config.SCALEKIT_ENV_URL,
      clientId: config.SCALEKIT_CLIENT_ID,
      clientSecret: config.SCALEKIT_CLIENT_SECRET,
    }),
    anthropic: new Anthropic({
      apiKey: config.ANTHROPIC_API_KEY,
      baseURL: config.ANTHROPIC_BASE_URL,
      // Temporal owns retries; an SDK retry under it would multiply attempts and hide 429s.
      maxRetries: 0,
      timeout: 30_000,
      // Explicit, so ANTHROPIC_LOG=debug cannot turn on request/response logging (a credential body
      // carries the session token, session events carry mail); and only the message line of what
      // does log, since the SDK passes SSE data along with stream errors.
      logLevel: 'warn',
      logger: messageOnlyLogger,
    }),
    sealer: createSealer(sealKeys(config.INBOX_AGENT_SEAL_KEYS, config.INBOX_AGENT_SEAL_KEY)),
    state,
    reportProgress: (workflowId, runId, progress) =>
      temporal.workflow.getHandle(workflowId, runId).signal(sessionProgressSignal, progress),
    startSweep: async (input, taskQueue) => {
      const handle = await temporal.workflow.start<typeof inboxSweep>('inboxSweep', {
        ...sweepStartOptions(input.identifier, taskQueue),
        args: [input],
      });
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    },
    settings: {
      mcpConfigName: config.INBOX_AGENT_MCP_CONFIG_NAME,
      agentName: config.INBOX_AGENT_AGENT_NAME,
      model: config.INBOX_AGENT_MODEL,
      environmentId: config.ANTHROPIC_ENVIRONMENT_ID,
    },
  };
}
