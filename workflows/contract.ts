/**
 * What the workflows, activities, worker, client and tests agree on: names, message definitions,
 * search-attribute keys, input/output shapes and failure types. Imports only workflow-safe modules.
 */
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Duration,
} from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

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

export interface ConnectionState {
  connection: string;
  status: ConnectionStatus;
  /** Present for inactive connections: where the user re-authorizes. */
  authLink?: string;
  /** When the link was made (ISO time); links expire within minutes. */
  linkCreatedAt?: string;
  /** When Scalekit stops honouring the link, where it says (SDK links do). */
  linkExpiresAt?: string;
}

export interface ConnectionsReport {
  identifier: string;
  checkedAt: string;
  connections: ConnectionState[];
  inactive: string[];
  /** `auth-links` only: connections the user had no account for, created by this call (a new identifier). */
  newAccounts?: string[];
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
  /** The e-mails this session must handle (ids and subjects), sealed: subjects are user mail. */
  batch: SealedSecret;
  eventForEveryEmail: boolean;
  /** `ask`: the policy's allowed `create_event` calls become proposals instead (default `auto`). */
  approval?: ApprovalMode;
}

/** Which session activity's sessions `endAgentSession` interrupts and archives. */
export interface EndAgentSessionInput {
  identifier: string;
  /** The `activityId` the workflow gave that `runAgentSession`; its sessions carry it in their metadata. */
  activityId: string;
  /** When the workflow scheduled it (ISO); sessions are listed from then on. */
  createdSince: string;
}

/** A finished session to archive once its events are confirmed (`archiveAgentSession`). */
export interface ArchiveAgentSessionInput {
  identifier: string;
  sessionId: string;
}

/** What `findUnhandled` hands the workflow: ids in the clear, everything from the mail sealed. */
export interface InboxBatch {
  /** Unhandled unread messages for this sweep, oldest first, at most the per-sweep cap. */
  messageIds: string[];
  /** `[{ id, subject }]` of `messageIds`, sealed. */
  batch?: SealedSecret;
  /** Unhandled messages beyond the cap, left for the next sweep. */
  remaining: number;
  unread: number;
  /** Set when the unread scan hit its bound (MAX_UNREAD_SCANNED) with pages left: older unread mail was not seen. */
  unreadCapped?: boolean;
  /** Messages the ledger had lost but the calendar still showed an event for: recorded, not re-sent. */
  recovered: number;
  /**
   * Recorded `no_action` by the worker's own bulk-mail rules (`List-Unsubscribe`, `Precedence:
   * bulk|list|junk`, a no-reply sender; activities/bulk-mail.ts), never handed to the agent.
   */
  bulkNoAction?: string[];
  /** Unread messages set aside (`gave_up`) after MAX_ATTEMPTS sessions: skipped until `retry`. */
  gaveUp: number;
  /** The user's approval mode, read from the shared store with the ledger (no call of its own). */
  approval?: ApprovalMode;
}

export interface HandledReport {
  events: Array<{ messageId: string; eventId: string }>;
  noAction: string[];
  /** Named in the task but neither an event found nor judged to need no action: retried next sweep. */
  unhandled: string[];
  /** Set aside by this sweep: the third session that did not handle them (see `cli retry`). */
  gaveUp: string[];
}

export interface AgentSessionSummary {
  sessionId: string;
  stopReason: string;
  toolCalls: string[];
  finalMessage: string;
  usage: { inputTokens: number; outputTokens: number };
  error?: { type: string; message: string };
  /** MCP tool results with `is_error` (a revoked consent, a provider failure). */
  toolErrors: number;
  /**
   * Message ids the agent judged to need no action, each in the turn about that message (another
   * turn's report cannot speak for it; see run-agent-session.ts).
   */
  reportedNoAction: string[];
  /**
   * In approval mode `ask`: the events the tool policy allowed but the worker did not let the agent
   * create; they wait for the user (`decideProposals`), and the worker creates the approved ones.
   */
  proposals?: Proposal[];
  /** What the tool policy (activities/tool-policy.ts) decided for each call held for confirmation. */
  toolDecisions: ToolDecisionRecord[];
  /** Event creations the gate allowed and that returned an event id: the only events that may count. */
  allowedEvents: AllowedEvent[];
}

/** One tool-policy decision: the tool, the decision and a fixed reason; never mail text. */
export interface ToolDecisionRecord {
  tool: string;
  decision: 'allow' | 'deny' | 'propose';
  reason: string;
  messageId?: string;
}

export interface AllowedEvent {
  messageId: string;
  toolUseId: string;
  /** The id the creation returned; confirmHandled records only this event for the message. */
  eventId?: string;
}

/**
 * Per user, stored with the user's state: `auto` (the default) lets the worker confirm the events
 * its tool policy allows; `ask` makes each of them a proposal the user approves or denies first.
 */
export type ApprovalMode = 'auto' | 'ask';
export const APPROVAL_MODES: readonly ApprovalMode[] = ['auto', 'ask'];

/**
 * An event the agent asked to create and the policy allowed, held for the user's decision. `id` is
 * derived from the sweep run and the message, so a re-run session proposes the same id again.
 * Title and description are exactly what the worker books when approved (the description ends with
 * the message's marker line).
 */
export interface Proposal {
  id: string;
  messageId: string;
  title: string;
  /** RFC 3339. */
  start: string;
  end: string;
  description: string;
}

export type ProposalDecision = 'approve' | 'deny';

/** The argument of the `decideProposals` Update: one decision per pending proposal named. */
export interface DecideProposalsInput {
  decisions: Array<{ id: string; decision: ProposalDecision; reason?: string }>;
  /** Free text for the history: who decided, through what (CLI, link, Web UI). */
  by?: string;
}

export interface DecideProposalsResult {
  /** The proposals this Update decided, as decided. */
  decided: Array<{ id: string; decision: ProposalDecision }>;
  /** Still waiting for a decision. */
  pending: string[];
}

/** A proposal as `status` shows it: pending until decided; decided ones until the sweep ends. */
export interface ProposalView extends Proposal {
  state: 'pending' | 'approved' | 'denied';
  reason?: string;
  /** Once the approved event is on the calendar. */
  eventId?: string;
}

/** Input of the `notifyApproval` activity. */
export interface ApprovalNoticeInput {
  identifier: string;
  proposals: Proposal[];
  /** When undecided proposals are denied (ISO). */
  deadline: string;
}

/** Input of the `recordDecisions` activity: decisions the workflow has not carried out yet. */
export interface RecordDecisionsInput {
  identifier: string;
  /** A token minted for this step; needed only when something was approved. */
  token?: SealedSecret;
  approved: Proposal[];
  denied: Array<{ proposal: Proposal; reason: string }>;
}

export interface DecidedProposals {
  /** The approved proposals' events: created now, or found from an earlier attempt. */
  events: Array<{ id: string; messageId: string; eventId: string }>;
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

/** What became of the sweep's proposals (in the report). */
export interface ApprovalReport {
  approved: Array<{ id: string; messageId: string; eventId: string }>;
  denied: Array<{ id: string; messageId: string; reason: string }>;
  /** True when the wait ran out: every proposal still pending then was denied. */
  timedOut: boolean;
}

/**
 * Heartbeat details of `runAgentSession`: what a retried attempt needs to re-attach, and the progress
 * `status` reads from the pending activity (no history event per report).
 */
export interface SessionProgress {
  sessionId: string;
  messageSent: boolean;
  /** Turns (one per batch message) whose message this attempt or an earlier one sent. */
  turnsSent?: number;
  lastEventId?: string;
  eventsSeen: number;
  /** Tool calls the agent made so far (the status query shows it). */
  toolCalls?: number;
}

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

export interface SweepInput {
  identifier: string;
  /** How long to wait for re-authorization in total, as a Temporal duration ('7 days', '30s', ms). */
  reauthTimeout?: Duration;
  /** The longest the agent session may run; sizes the session token too. */
  sessionTimeout?: Duration;
  // No prompt: services drive sweeps, they do not talk to the agent. The task is the worker's own,
  // and a starter that sends `prompt` anyway has its run failed with InvalidRequest.
  /** At most this many unhandled e-mails per sweep, oldest first (default 5, at most 50). */
  maxEmails?: number;
  /** The guide's behaviour: an event for every e-mail, no `no_action` judgement. */
  eventForEveryEmail?: boolean;
  /** While waiting for re-authorization, re-check connections this often (default 1 hour). */
  recheckEvery?: Duration;
  /** While waiting, remind the user this often (default 1 day); the first reminder goes out at once. */
  remindEvery?: Duration;
  /** In approval mode `ask`: how long proposals wait for a decision (default 24 hours); then denied. */
  approvalTimeout?: Duration;
}

export const DEFAULT_MAX_EMAILS = 5;
export const MAX_MAX_EMAILS = 50;

export type SweepPhase =
  | SweepOutcome
  | 'delegating'
  | 'checking_connections'
  | 'awaiting_reauthorization'
  | 'awaiting_approval'
  | 'minting_token'
  | 'updating_vault'
  | 'reading_inbox'
  | 'running_session'
  | 'recording';

/**
 * How a sweep ended, a closed set (also the `InboxSweepOutcome` search attribute):
 * - `completed`: every e-mail of the batch is handled (an event confirmed on the calendar, or judged
 *   to need no action); more may wait beyond the cap (`messages.remaining`).
 * - `nothing_new`: no unhandled unread e-mail; no session, no vault write.
 * - `partial`: some e-mails of the batch handled, others not (they stay unhandled for the next sweep).
 * - `session_failed`: the session handled none of its e-mails (a session error, failed tool calls).
 * - `reauth_timed_out`: a connection stayed inactive past the re-authorization bound.
 * - `delegated`: this run was a ticket (schedule, request id, foreign id) that started or attached to
 *   the user's one sweep, named in `sweep`.
 */
export type SweepOutcome =
  'completed' | 'nothing_new' | 'partial' | 'session_failed' | 'reauth_timed_out' | 'delegated';

export interface SweepStatus {
  identifier: string;
  phase: SweepPhase;
  /** While awaiting re-authorization: why, in words. */
  waitingBecause?: string;
  inactiveConnections: string[];
  /** Links made at the last check; each lives about a minute (`expiresAt`), `auth-links` makes fresh ones. */
  authLinks: Array<{ connection: string; url: string; createdAt?: string; expiresAt?: string }>;
  reauthDeadline?: string;
  /** While waiting: since when, and when connections are re-checked next without a signal. */
  waitingSince?: string;
  nextRecheckAt?: string;
  reauthSignals: number;
  sessionId?: string;
  /** Unread messages set aside (`gave_up`) after MAX_ATTEMPTS sessions; `cli retry` brings one back. */
  setAside?: number;
  progress?: { eventsSeen: number; lastEventId?: string; toolCalls?: number };
  /** The user's approval mode, once the sweep has read it with the inbox. */
  approval?: ApprovalMode;
  /** In approval mode `ask`: the sweep's proposals, pending and decided. */
  proposals?: ProposalView[];
  /** While proposals wait: when the undecided ones are denied. */
  approvalDeadline?: string;
  /** What the tool policy decided for each held call of this sweep's sessions (never mail text). */
  toolDecisions?: ToolDecisionRecord[];
}

export interface SweepReport {
  identifier: string;
  outcome: SweepOutcome;
  startedAt: string;
  finishedAt: string;
  reauthWaits: number;
  vault?: { vaultId: string; credentialId: string; created: boolean };
  /** The last agent session (a sweep sent back to the re-authorization wait may run another). */
  session?: AgentSessionSummary;
  sessions: number;
  /** What became of the e-mails, across the sweep's sessions. */
  messages?: HandledReport & { remaining: number; recovered: number; setAside?: number; unreadCapped?: boolean };
  /** For `delegated`: the sweep run this start attached to or started. */
  sweep?: { workflowId: string; runId: string };
  /** In approval mode `ask`, when the session proposed events: what the user decided. */
  approval?: ApprovalReport;
}

/** Input of the `notifyReauthorization` activity. */
export interface ReauthorizationNoticeInput {
  event: 'needed' | 'reminder' | 'gave_up';
  identifier: string;
  workflowId: string;
  deadline: string;
  /** The check that just found the connections inactive: its links are seconds old, so no new call. */
  report?: ConnectionsReport;
}

/** Input of the `consentSchedule` activity: pause the user's schedule, or unpause it if we paused it. */
export interface ConsentScheduleInput {
  action: 'pause' | 'unpause';
  identifier: string;
  note: string;
}

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

export interface ReauthorizedSignal {
  /** Free text for the history: who or what says the user re-authorized. */
  note?: string;
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
