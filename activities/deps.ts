import type { ScheduleClient } from '@temporalio/client';
import type { ManagedAgentsPort } from './apis/managed-agents.js';
import type { ScalekitConnectedAccounts } from '../consent/connected-accounts.js';
import type { ScalekitApi } from './apis/scalekit.js';
import type { ConsentStateCodec } from '../consent/state.js';
import type { ApprovalLinks } from '../consent/approval-links.js';
import type { SessionPolicyOverride } from './run-agent-session.js';
import type { Notifier } from './notify.js';
import type { Sealer } from './seal.js';
import type { UserStateStore } from './user-state.js';
import type { SweepInput } from '../workflows/contract.js';

/** What the activities need from the outside world; tests pass emulator-backed ones. */
export interface ActivityDeps {
  scalekit: ScalekitApi;
  /** The SDK side of Scalekit: authorization links for the user-verification flow. */
  connectedAccounts: ScalekitConnectedAccounts;
  /** Set when the consent callback is deployed: links then lead back to it through user verification. */
  consent?: { callbackUrl: string; state: ConsentStateCodec };
  /** Set with `consent`: approve/deny links for proposed events, served by the same callback. */
  approvalLinks?: ApprovalLinks;
  /** Where reminders go while a sweep waits for consent (default: the worker's log). */
  notifier?: Notifier;
  /** Lets a waiting sweep pause and unpause its user's schedule. */
  schedules?: ScheduleClient;
  /** Whether the user's one sweep runs now: the consent reconciler leaves a running sweep's schedule to it. */
  sweepRunning?: (identifier: string) => Promise<boolean>;
  /** Claude Managed Agents (`createManagedAgents` over the SDK, with `maxRetries: 0`). */
  managedAgents: ManagedAgentsPort;
  sealer: Sealer;
  /** Shared by every worker of the deployment: vault ids and the ledger of handled e-mails. */
  state: UserStateStore;
  /** Starts (or attaches to) the user's one sweep: `sweepStartOptions` with USE_EXISTING. For tickets. */
  startSweep?: (input: SweepInput, taskQueue: string) => Promise<{ workflowId: string; runId: string }>;
  /**
   * Tests only, never set by worker/deps.ts: a stand-in tool policy, so a flow test can show what the
   * attacks achieve without the gate (and so that its assertions can fail).
   */
  toolPolicy?: SessionPolicyOverride;
  settings: {
    mcpConfigName: string;
    agentName: string;
    model: string;
    environmentId: string;
    /** What becomes of a finished session: archived once its events are confirmed (default), or kept. */
    sessionRetention?: 'archive' | 'keep';
  };
}
