/**
 * What the workflows, activities, worker, client and tests agree on: names, message definitions,
 * search-attribute keys, input/output shapes and failure types. Imports only workflow-safe modules.
 */
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { VaultRef } from '../activities/types.js';
import type {
  AgentSessionSummary,
  ApprovalMode,
  ConnectionState,
  DecideProposalsInput,
  HandledReport,
  ProposalDecision,
  ProposalView,
  ReauthorizedSignal,
  SweepOutcome,
  SweepPhase,
  SweepStatus,
} from './contract.schema.js';

// The public shapes are defined once, as zod schemas (contract.schema.ts); their types are re-exported
// here type-only, so workflow code can name them without bundling zod.
export type {
  AgentSessionSummary,
  AllowedEvent,
  ApprovalMode,
  ApprovalReport,
  ConnectionState,
  DecideProposalsInput,
  HandledReport,
  Proposal,
  ProposalDecision,
  ProposalView,
  ReauthorizedSignal,
  SweepInput,
  SweepOutcome,
  SweepPhase,
  SweepReport,
  SweepSettings,
  SweepStatus,
  ToolDecisionRecord,
} from './contract.schema.js';

export const TASK_QUEUE = 'inbox-agent';

/** Workflow types: the names the worker registers (its exported workflow functions) and starters use. */
export const WorkflowType = {
  inboxSweep: 'inboxSweep',
  operator: 'inboxAgentOperator',
} as const;

/** The one activity other code finds by name: `status` reads its heartbeat from the pending activities. */
export const SESSION_ACTIVITY = 'runAgentSession';

/**
 * Identifiers end up in workflow IDs, schedule IDs and search attributes, which no codec encrypts,
 * so they must be opaque app user IDs rather than e-mail addresses. At most 100 characters: Scalekit
 * refuses longer ones when it makes an authorization link or lists a user's connected accounts
 * (`identifier` max_len 100 in `@scalekit-sdk/node`'s request descriptors).
 */
export const IDENTIFIER_MAX_LENGTH = 100;
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
export const IDENTIFIER_RULE = 'an opaque user ID: 1-100 of A-Z a-z 0-9 _ . : -, starting with a letter or digit';

/** Why a sweep input with a `prompt` is refused (whoever checks it: the workflow or the schema). */
export const NO_PROMPT_RULE = 'sweeps take no instructions, the task is the worker’s own';

export function isValidIdentifier(identifier: string): boolean {
  return IDENTIFIER_PATTERN.test(identifier);
}

/*
 * One sweep per user at a time, whoever starts it
 * ------------------------------------------------
 * Temporal keeps at most one running execution per workflow id, so the sweep of a user runs under one
 * canonical id, `inbox-sweep/<identifier>`. `/` is in neither the identifier nor the request-id
 * charset, so ids of different users never collide (`a:b` + `c` and `a` + `b:c` used to).
 *
 * - Every start of the canonical id uses `workflowIdConflictPolicy: USE_EXISTING`: a start while a
 *   sweep runs returns that sweep's run (the handle attaches) instead of failing or running beside
 *   it. `workflowIdReusePolicy: ALLOW_DUPLICATE`: once it has closed, the next start is a new sweep.
 *   The first run's input wins; a start that attaches brings no new options.
 * - A request id makes a start idempotent. It names a *ticket*: a short `inboxSweep` run under
 *   `inbox-sweep/<identifier>/<requestId>`, started with `USE_EXISTING` (a repeat while it runs
 *   attaches to it) and `REJECT_DUPLICATE` (a repeat after it closed is refused, and the caller reads
 *   the closed ticket instead). The ticket starts (or attaches to) the canonical sweep as above and
 *   returns its `{ workflowId, runId }` as outcome `delegated`; the caller's handle is that run. So
 *   the same request id resolves to the same sweep run for as long as Temporal retains the ticket,
 *   i.e. the namespace's retention period, the same as the sweep run it points to.
 * - Schedules: Temporal appends the fire time to a scheduled action's workflow id
 *   (`<id>-<timestamp>`), and a schedule action cannot set a conflict policy, so a schedule can never
 *   start the canonical id itself. Its action starts a ticket (`inbox-sweep/<identifier>/@schedule`,
 *   `@` being outside the request-id charset, which is the identifier's) that delegates like any other. A tick while the user's
 *   sweep runs attaches to it: no second sweep, no queueing.
 * - Any `inboxSweep` run whose workflow id is not the canonical id of its input's identifier is a
 *   ticket, so a foreign starter that picks its own id still converges on the one running sweep.
 *   The documented contract for foreign starters: start `inboxSweep` with `sweepStartOptions()`
 *   (canonical id, USE_EXISTING), or with any other id and accept one extra ticket run.
 */
export const sweepWorkflowId = (identifier: string): string => `inbox-sweep/${identifier}`;
export const sweepTicketWorkflowId = (identifier: string, requestId: string): string =>
  `inbox-sweep/${identifier}/${requestId}`;
export const scheduledSweepWorkflowId = (identifier: string): string => `inbox-sweep/${identifier}/@schedule`;

/**
 * Search attributes a sweep starts with (free: Temporal Cloud bills an upsert, not the attributes of a
 * start). The outcome starts as `nothing_new`, what most sweeps end with, so an idle sweep writes no
 * search attribute at all; a sweep that ends otherwise writes its outcome. So the outcome is read on
 * completed runs only (`list` does; a run that failed or continued has none).
 */
export function sweepSearchAttributes(identifier: string) {
  return [
    { key: searchAttributes.identifier, value: identifier },
    { key: searchAttributes.outcome, value: 'nothing_new' satisfies SweepOutcome },
  ];
}

/** A ticket's search attributes are final at its start (schedules and request ids): it writes none. */
export function ticketSearchAttributes(identifier: string) {
  return [
    { key: searchAttributes.identifier, value: identifier },
    { key: searchAttributes.phase, value: 'delegating' satisfies SweepPhase },
    { key: searchAttributes.outcome, value: 'delegated' satisfies SweepOutcome },
  ];
}

/** Start options of the canonical sweep: the client and a ticket's `startSweep` activity both use these. */
export function sweepStartOptions(identifier: string, taskQueue: string) {
  return {
    taskQueue,
    workflowId: sweepWorkflowId(identifier),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: sweepSearchAttributes(identifier),
    staticSummary: `Inbox sweep for ${identifier}`,
  };
}

/** Start options of a request-id ticket (see above). */
export function sweepTicketStartOptions(identifier: string, requestId: string, taskQueue: string) {
  return {
    ...sweepStartOptions(identifier, taskQueue),
    workflowId: sweepTicketWorkflowId(identifier, requestId),
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: ticketSearchAttributes(identifier),
    staticSummary: `Inbox sweep request ${requestId} for ${identifier}`,
  };
}

export const scheduleId = (identifier: string): string => `inbox-sweep:${identifier}`;
/**
 * The deployment's one operator workflow (`inboxAgentOperator`), per task queue: `setup`,
 * `auth-links` and `retry` are Updates on it, started with it when it does not run (update-with-start).
 */
export const operatorWorkflowId = (taskQueue: string): string => `inbox-agent:operator:${taskQueue}`;
/** `doctor` runs as a short workflow of its own (it must also say when no worker answers in time). */
export const doctorWorkflowId = (requestId: string): string => `inbox-agent:doctor:${requestId}`;
/** `setup`: find-or-create the Virtual MCP config and the agent. */
export const setupUpdate = defineUpdate<ProvisionResult>('setup');
/** `auth-links`: the user's connections, with links made just now for inactive ones. */
export const authLinksUpdate = defineUpdate<ConnectionsReport, [string]>('authLinks');
/** `retry`: a message set aside (`gave_up`) goes back in the queue of the user's sweeps; false if it was not set aside. */
export const retryMessageUpdate = defineUpdate<boolean, [string, string]>('retryMessage');

export const searchAttributes = {
  identifier: defineSearchAttributeKey('InboxIdentifier', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('InboxSweepPhase', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('InboxSweepOutcome', SearchAttributeType.KEYWORD),
} as const;

/**
 * The visibility query for sweeps (the CLI's `list`, the fan-out by identifier, the waiting-users
 * gauge): the workflow type, then each condition given and any further clauses, ANDed.
 */
export function sweepsQuery(
  where: { running?: boolean; taskQueue?: string; identifier?: string; phase?: SweepPhase } = {},
  ...clauses: string[]
): string {
  const all = [`WorkflowType = '${WorkflowType.inboxSweep}'`];
  if (where.running !== undefined) all.push(`ExecutionStatus ${where.running ? '=' : '!='} 'Running'`);
  if (where.taskQueue) all.push(`TaskQueue = '${where.taskQueue}'`);
  if (where.identifier) all.push(`${searchAttributes.identifier.name} = '${where.identifier}'`);
  if (where.phase) all.push(`${searchAttributes.phase.name} = '${where.phase}'`);
  return [...all, ...clauses].join(' AND ');
}

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
  /** The session's event stream sent an `event: error` frame; retryable: the next attempt re-attaches. */
  SessionStreamFailed: 'SessionStreamFailed',
  /** The agent's current version grants other tools than a sweep's three (or lacks one): run `setup`. */
  AgentVersionMismatch: 'AgentVersionMismatch',
  /**
   * A service answered in a shape the product does not know (a tool output, an API body, a tool
   * list): which call and which field, never the content. Not retried, never read as "nothing new".
   */
  UnexpectedServiceAnswer: 'UnexpectedServiceAnswer',
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
  ErrorType.AgentVersionMismatch,
  ErrorType.UnexpectedServiceAnswer,
];

export type ConnectionStatus = 'ACTIVE' | 'EXPIRED' | 'PENDING_AUTH' | 'PENDING_VERIFICATION' | 'DISCONNECTED' | string;

export interface ConnectionsReport {
  identifier: string;
  checkedAt: string;
  connections: ConnectionState[];
  inactive: string[];
  /** `auth-links` only: connections the user had no account for, created by this call (a new identifier). */
  newAccounts?: string[];
}

/** Per user: `auto` (the default) lets the worker confirm the events its tool policy allows; `ask` makes each a proposal. */
export const APPROVAL_MODES = ['auto', 'ask'] as const;

/** At most this long a reason; it goes into history and the ledger. */
export const MAX_REASON_CHARS = 500;
/** At most this long the `by` of a decision (who decided, through what). */
export const MAX_DECIDED_BY_CHARS = 200;

export interface DecideProposalsResult {
  /** The proposals this Update decided, as decided. */
  decided: Array<{ id: string; decision: ProposalDecision }>;
  /** Still waiting for a decision. */
  pending: string[];
}

/** Input of the `userSettings` update and activity: read the user's settings, or change them. */
export interface UserSettingsInput {
  identifier: string;
  approval?: ApprovalMode;
}

export interface UserSettings {
  identifier: string;
  approval: ApprovalMode;
}

/** `approval`: read the user's settings, or change them (an Update on the operator workflow). */
export const userSettingsUpdate = defineUpdate<UserSettings, [UserSettingsInput]>('userSettings');

/** What `doctor` checks on a worker: with `identifier`, that user's connections and tools/list; with `read`, one read. */
export interface DoctorInput {
  identifier?: string;
  read?: boolean;
}

/** One check of `doctor`: what was found and, unless it passed, what to do. */
export interface DoctorRow {
  check: string;
  status: 'PASS' | 'WARN' | 'FAIL';
  found: string;
  fix?: string;
}

export interface ProvisionResult {
  mcpConfigId: string;
  mcpServerUrl: string;
  agentId: string;
  agentVersion: number;
  created: { mcpConfig: boolean; agent: boolean; agentUpdated: boolean };
}

export const DEFAULT_REAUTH_TIMEOUT = '7 days';
/** While waiting, connections are re-checked this often, so consent given by any path is noticed. */
export const DEFAULT_RECHECK_EVERY = '1 hour';
/** While waiting, the user is reminded (with a fresh link) this often, after a first notice at once. */
export const DEFAULT_REMIND_EVERY = '1 day';
export const DEFAULT_SESSION_TIMEOUT = '1 hour';
/** How long proposals wait for the user's decision before they are all denied. */
export const DEFAULT_APPROVAL_TIMEOUT = '24 hours';
export const MAX_APPROVAL_TIMEOUT_MS = 30 * 24 * 3600_000;
/** A session token lives at most 24 h and must outlive the session. */
export const MAX_SESSION_TIMEOUT_MS = 23 * 3600_000;
/** Links and consent go stale; a sweep waiting longer than this should be a new sweep. */
export const MAX_REAUTH_TIMEOUT_MS = 30 * 24 * 3600_000;

export const DEFAULT_MAX_EMAILS = 5;
export const MAX_MAX_EMAILS = 50;

/**
 * What a waiting sweep hands the run it continues as (the second argument of `inboxSweep`), so the
 * sweep goes on where it was: same deadline, same reminder cadence, same totals, same `status`.
 * Only our own continue-as-new passes it; a foreign starter that does is held to the same bounds.
 */
export interface SweepCarry {
  status: SweepStatus;
  /** The re-authorization wait: its overall deadline (ms), the current episode, whether we paused the schedule. */
  reauth: { deadline?: number; episode?: { since: string; nextReminder: number }; pausedSchedule: boolean };
  report: {
    startedAt: string;
    handled: HandledReport;
    reauthWaits: number;
    sessions: number;
    remaining: number;
    recovered: number;
    aside: number;
    vault?: VaultRef;
    session?: AgentSessionSummary;
  };
  /**
   * An approval wait in progress (approval mode ask): every proposal of the sweep as decided so far
   * (`done` once carried out), its deadline (ms) and whether it ran out.
   */
  approval?: { proposals: Array<ProposalView & { done?: boolean }>; deadline?: number; timedOut: boolean };
  /** Ways back to authorization already taken, by budget. */
  spent: Record<string, number>;
  /** Runs before this one. */
  continued: number;
}

export const reauthorizedSignal = defineSignal<[ReauthorizedSignal?]>('reauthorized');
/**
 * The user's decisions on pending proposals. An Update, not a signal: the validator refuses (and
 * the caller hears why) a decision for an id that is not pending, a second decision for one id, or
 * an empty list, without a trace in history, so a replayed approve link changes nothing.
 */
export const decideProposalsUpdate = defineUpdate<DecideProposalsResult, [DecideProposalsInput]>('decideProposals');
/**
 * The workflow's own view; `InboxAgentClient.status` adds the running session's progress from the
 * session activity's heartbeat details.
 */
export const statusQuery = defineQuery<SweepStatus>('status');
/**
 * Our own metrics, exported through the worker runtime's Prometheus endpoint under these names
 * (tagged namespace and taskQueue, like the SDK's own). Emitted where each event is decided once: the workflow (not during replay)
 * for sweeps, sessions, mints and agent tokens; the activity failure wrapper for failed attempts.
 */
export const metricNames = {
  /** Finished sweeps, tagged `outcome`. */
  sweeps: 'inbox_agent_sweeps',
  /** Agent sessions run (a session re-attached after a retry is the same session). */
  sessionsStarted: 'inbox_agent_sessions_started',
  /** Messages set aside (`gave_up`) after MAX_ATTEMPTS sessions did not handle them. */
  messagesGaveUp: 'inbox_agent_messages_gave_up',
  /** Scalekit session tokens minted. */
  tokensMinted: 'inbox_agent_session_tokens_minted',
  /** Model tokens the agent used, tagged `direction` (input|output). */
  agentTokens: 'inbox_agent_agent_tokens',
  /** Failed activity attempts, tagged `activityType` and `error_type`. */
  activityFailures: 'inbox_agent_activity_failures',
  /** Users whose sweep waits for re-authorization now, counted through visibility by every worker. */
  usersAwaitingReauthorization: 'inbox_agent_users_awaiting_reauthorization',
  /**
   * Tool calls the agent made that the tool policy decided, tagged `tool` and `decision`
   * (allow|deny|propose). Counted by the workflow from the session's summary (workflows/metrics.ts).
   */
  toolCalls: 'inbox_agent_tool_calls_total',
} as const;
