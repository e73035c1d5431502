import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ActivityDeps } from '../activities/index.js';
import { createManagedAgents } from '../activities/apis/managed-agents.js';
import { ScalekitApi } from '../activities/apis/scalekit.js';
import { ScalekitConnectedAccounts } from '../consent/connected-accounts.js';
import { createConsentState } from '../consent/state.js';
import { createApprovalLinks } from '../consent/approval-links.js';
import { logNotifier, webhookNotifier, type Notifier } from '../activities/notify.js';
import { createSealer, sealKeys } from '../activities/seal.js';
import { describeDatabaseUrl, openUserStateStore } from '../activities/state/index.js';
import { sweepStartOptions, sweepWorkflowId, WorkflowType } from '../workflows/contract.js';
import type { inboxSweep } from '../workflows/index.js';
import type { WorkerConfig } from './config.js';

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
  const scalekitOptions = {
    envUrl: config.SCALEKIT_ENV_URL,
    clientId: config.SCALEKIT_CLIENT_ID,
    clientSecret: config.SCALEKIT_CLIENT_SECRET,
  };
  return {
    scalekit: new ScalekitApi(scalekitOptions),
    connectedAccounts: new ScalekitConnectedAccounts(scalekitOptions),
    ...(config.INBOX_AGENT_CALLBACK_URL && config.INBOX_AGENT_CONSENT_KEY
      ? {
          consent: {
            callbackUrl: config.INBOX_AGENT_CALLBACK_URL,
            state: createConsentState(config.INBOX_AGENT_CONSENT_KEY),
          },
          approvalLinks: createApprovalLinks(config.INBOX_AGENT_CONSENT_KEY, config.INBOX_AGENT_CALLBACK_URL),
        }
      : {}),
    notifier: buildNotifier(config),
    schedules: temporal.schedule,
    sweepRunning: async (identifier) => {
      const described = await temporal.workflow
        .getHandle(sweepWorkflowId(identifier))
        .describe()
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        });
      return described?.status.name === 'RUNNING';
    },
    managedAgents: createManagedAgents({ apiKey: config.ANTHROPIC_API_KEY, baseURL: config.ANTHROPIC_BASE_URL }),
    sealer: createSealer(sealKeys(config.INBOX_AGENT_SEAL_KEYS, config.INBOX_AGENT_SEAL_KEY)),
    state,
    startSweep: async (input, taskQueue) => {
      const handle = await temporal.workflow.start<typeof inboxSweep>(WorkflowType.inboxSweep, {
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
      sessionRetention: config.INBOX_AGENT_SESSION_RETENTION,
    },
  };
}

/** The log always; the webhook as well when the deployment configures one. */
function buildNotifier(config: WorkerConfig): Notifier {
  if (!config.INBOX_AGENT_WEBHOOK_URL || !config.INBOX_AGENT_WEBHOOK_SECRET) return logNotifier;
  const webhook = webhookNotifier(config.INBOX_AGENT_WEBHOOK_URL, config.INBOX_AGENT_WEBHOOK_SECRET);
  return {
    async notify(notice) {
      await logNotifier.notify(notice);
      await webhook.notify(notice);
    },
  };
}
