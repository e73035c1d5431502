/**
 * What the workflows, activities, worker, client and tests agree on: names, message definitions,
 * search-attribute keys, input/output shapes and failure types. Imports only workflow-safe modules.
 */
import { defineSearchAttributeKey, SearchAttributeType, type Duration } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const TASK_QUEUE = 'inbox-agent';

/**
 * Identifiers end up in workflow IDs, schedule IDs and search attributes, which no codec encrypts,
 * so they must be opaque app user IDs rather than e-mail addresses.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const IDENTIFIER_RULE = 'an opaque user ID: 1-128 of A-Z a-z 0-9 _ . : -, starting with a letter or digit';

export function isValidIdentifier(identifier: string): boolean {
  return IDENTIFIER_PATTERN.test(identifier);
}

export const sweepWorkflowId = (identifier: string, requestId: string): string =>
  `inbox-sweep:${identifier}:${requestId}`;
export const scheduleId = (identifier: string): string => `inbox-sweep:${identifier}`;
export const provisionWorkflowId = 'inbox-agent:provision';
export const connectionsWorkflowId = (identifier: string, requestId: string): string =>
  `inbox-connections:${identifier}:${requestId}`;

export const searchAttributes = {
  identifier: defineSearchAttributeKey('InboxIdentifier', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('InboxSweepPhase', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('InboxSweepOutcome', SearchAttributeType.KEYWORD),
} as const;

/** Failure `type`s: stable strings that retry policies, workflows and callers branch on. */
export const ErrorType = {
  /** Credentials rejected (HTTP 401). */
  Unauthenticated: 'Unauthenticated',
  /** Credentials lack a permission (HTTP 403). */
  PermissionDenied: 'PermissionDenied',
  /** The request itself is wrong (HTTP 400/422, schema validation). */
  InvalidRequest: 'InvalidRequest',
  /** A resource that must exist does not (HTTP 404). */
  NotFound: 'NotFound',
  /** Mint refused because a mapped connection is no longer ACTIVE: back to the re-authorization wait. */
  ConnectionInactive: 'ConnectionInactive',
  /** `setup` has not been run, so there is no Virtual MCP config or agent to use. */
  NotProvisioned: 'NotProvisioned',
  /** A sealed secret could not be opened with this worker's key. */
  SealBroken: 'SealBroken',
  /** The agent session ended on an error the service reported. */
  SessionFailed: 'SessionFailed',
  /** The session's event stream sent an `event: error` frame; retryable: the next attempt re-attaches. */
  SessionStreamFailed: 'SessionStreamFailed',
} as const;
export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** Failure types that no retry can fix. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = [
  ErrorType.Unauthenticated,
  ErrorType.PermissionDenied,
  ErrorType.InvalidRequest,
  ErrorType.NotFound,
  ErrorType.ConnectionInactive,
  ErrorType.NotProvisioned,
  ErrorType.SealBroken,
  ErrorType.SessionFailed,
];

export type ConnectionStatus = 'ACTIVE' | 'EXPIRED' | 'PENDING_AUTH' | 'PENDING_VERIFICATION' | 'DISCONNECTED' | string;

export interface ConnectionState {
  connection: string;
  status: ConnectionStatus;
  /** Present for inactive connections: where the user re-authorizes. */
  authLink?: string;
  /** When the link was made (ISO time); links expire within minutes. */
  linkCreatedAt?: string;
}

export interface ConnectionsReport {
  identifier: string;
  checkedAt: string;
  connections: ConnectionState[];
  inactive: string[];
}

/** A secret sealed by a worker (AES-256-GCM): safe to pass through history, only workers can open it. */
export interface SealedSecret {
  sealed: string;
  keyId: string;
}

export interface MintedToken {
  token: SealedSecret;
  expiresAt: string;
}

export interface VaultRef {
  vaultId: string;
  credentialId: string;
  /** True when this run created the credential (first run); false when it only replaced the token. */
  created: boolean;
}

export interface AgentSessionInput {
  identifier: string;
  vaultId: string;
}

export interface AgentSessionSummary {
  sessionId: string;
  stopReason: string;
  toolCalls: string[];
  finalMessage: string;
  usage: { inputTokens: number; outputTokens: number };
  error?: { type: string; message: string };
}

/** Heartbeat details of `runAgentSession`: what a retried attempt needs to re-attach. */
export interface SessionProgress {
  sessionId: string;
  messageSent: boolean;
  lastEventId?: string;
  eventsSeen: number;
}

export interface ProvisionResult {
  mcpConfigId: string;
  mcpServerUrl: string;
  agentId: string;
  agentVersion: number;
  created: { mcpConfig: boolean; agent: boolean; agentUpdated: boolean };
}

export const DEFAULT_REAUTH_TIMEOUT = '7 days';
export const DEFAULT_SESSION_TIMEOUT = '1 hour';
/** A session token lives at most 24 h and must outlive the session. */
export const MAX_SESSION_TIMEOUT_MS = 23 * 3600_000;
/** Links and consent go stale; a sweep waiting longer than this should be a new sweep. */
export const MAX_REAUTH_TIMEOUT_MS = 30 * 24 * 3600_000;

export interface SweepInput {
  identifier: string;
  /** How long to wait for re-authorization in total, as a Temporal duration ('7 days', '30s', ms). */
  reauthTimeout?: Duration;
  /** The longest the agent session may run; sizes the session token too. */
  sessionTimeout?: Duration;
  // No prompt: services drive sweeps, they do not talk to the agent. The task is the worker's own,
  // and a starter that sends `prompt` anyway has its run failed with InvalidRequest.
}

export type SweepPhase =
  | 'checking_connections'
  | 'awaiting_reauthorization'
  | 'minting_token'
  | 'updating_vault'
  | 'running_session'
  | 'completed'
  | 'reauth_timed_out'
  | 'session_failed';

export type SweepOutcome = 'completed' | 'reauth_timed_out' | 'session_failed';

export interface SweepStatus {
  identifier: string;
  phase: SweepPhase;
  /** While awaiting re-authorization: why, in words. */
  waitingBecause?: string;
  inactiveConnections: string[];
  authLinks: Array<{ connection: string; url: string; createdAt?: string }>;
  reauthDeadline?: string;
  reauthSignals: number;
  sessionId?: string;
  progress?: { eventsSeen: number; lastEventId?: string };
}

export interface SweepReport {
  identifier: string;
  outcome: SweepOutcome;
  startedAt: string;
  finishedAt: string;
  reauthWaits: number;
  vault?: { vaultId: string; credentialId: string; created: boolean };
  session?: AgentSessionSummary;
}

export interface ReauthorizedSignal {
  /** Free text for the history: who or what says the user re-authorized. */
  note?: string;
}

export const reauthorizedSignal = defineSignal<[ReauthorizedSignal?]>('reauthorized');
export const statusQuery = defineQuery<SweepStatus>('status');
/** Sent by `runAgentSession` to its own workflow, so `status` can show the session while it runs. */
export const sessionProgressSignal = defineSignal<[SessionProgress]>('sessionProgress');
