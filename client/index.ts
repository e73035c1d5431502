import { createHash } from 'node:crypto';
import {
  Client,
  Connection,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WithStartWorkflowOperation,
  type ScheduleHandle,
  type ScheduleSpec,
  type WorkflowHandle,
} from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
// `listSweeps` pages with the raw visibility API (`workflow.list()` hides page tokens), and the SDK
// exports no public decoder for a raw execution's memo and search attributes.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import type { Duration } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import {
  APPROVAL_MODES,
  decideProposalsUpdate,
  userSettingsUpdate,
  type ApprovalMode,
  type DecideProposalsInput,
  type DecideProposalsResult,
  type ProposalDecision,
  type ProposalView,
  type UserSettings,
  authLinksUpdate,
  operatorWorkflowId,
  setupUpdate,
  scheduledSweepWorkflowId,
  sweepStartOptions,
  sweepTicketStartOptions,
  reauthorizedSignal,
  retryMessageUpdate,
  scheduleId,
  searchAttributes,
  statusQuery,
  type ConnectionsReport,
  type ProvisionResult,
  type SweepInput,
  type SweepPhase,
  type SweepReport,
  type SweepStatus,
  sweepWorkflowId,
  ticketSearchAttributes,
  sweepsQuery,
  WorkflowType,
} from '../workflows/contract.js';
import { DecideProposalsInputSchema, checkSweepInputSchema } from '../workflows/contract.schema.js';
import { checkIdentifier, checkMessageId, checkRequestId, parseDuration, show } from '../workflows/input.js';
import type { inboxAgentOperator, inboxSweep } from '../workflows/index.js';
import { loadClientConfig, type ClientConfig } from './config.js';
import { sweepStatus } from './status.js';

export { sweepStatus } from './status.js';
import {
  cronProblem,
  describeSpec,
  duration,
  timezoneProblem,
  type ScheduleRunView,
  type ScheduleSummaryView,
  type ScheduleView,
  type UnscheduleResult,
} from './schedule-views.js';

// The public contract, named one by one: the activities' own shapes (sealed secrets, batches) and the
// workflow's continue-as-new carry are internal and stay out of this API.
export {
  APPROVAL_MODES,
  ErrorType,
  NON_RETRYABLE_ERROR_TYPES,
  TASK_QUEUE,
  WorkflowType,
  authLinksUpdate,
  decideProposalsUpdate,
  reauthorizedSignal,
  retryMessageUpdate,
  scheduleId,
  searchAttributes,
  setupUpdate,
  statusQuery,
  sweepStartOptions,
  sweepTicketStartOptions,
  sweepWorkflowId,
  sweepsQuery,
  userSettingsUpdate,
  type AgentSessionSummary,
  type ApprovalMode,
  type ApprovalReport,
  type ConnectionState,
  type ConnectionsReport,
  type DecideProposalsInput,
  type DecideProposalsResult,
  type DoctorRow,
  type ErrorTypeName,
  type HandledReport,
  type Proposal,
  type ProposalDecision,
  type ProposalView,
  type ProvisionResult,
  type ReauthorizedSignal,
  type SweepInput,
  type SweepOutcome,
  type SweepPhase,
  type SweepReport,
  type SweepStatus,
  type UserSettings,
} from '../workflows/contract.js';
export { SweepInputSchema, parseSweepInput } from '../workflows/contract.schema.js';
export type { ScheduleRunView, ScheduleSummaryView, ScheduleView, UnscheduleResult } from './schedule-views.js';

/**
 * Input a caller got wrong: the CLI reports it as one line with exit code 2. `fields` are the option
 * names the message uses (`reauthTimeout`, `every`), so a CLI can say its own flag names instead.
 */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
  constructor(
    message: string,
    readonly fields: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A Temporal duration, or a string a person typed that should be one ("90s", "15 minutes"). */
export type DurationInput = Duration | string;

/** A sweep's options: every `SweepInput` field but the identifier (the schema defines them), and a request id. */
export type SweepOptions = Omit<SweepInput, 'identifier'> & {
  /**
   * Makes the start idempotent: the same request ID resolves to the same sweep run (attaching while
   * it runs, its result once closed) for as long as Temporal retains it.
   */
  requestId?: string;
};

/** A handle on the user's sweep run; `firstExecutionRunId` pins the run a start resolved to. */
export type SweepHandle = WorkflowHandle<typeof inboxSweep> & { firstExecutionRunId: string };

/** How the schedule runs, and the options of the sweeps it starts (every `SweepInput` field but the identifier). */
export type ScheduleOptions = Omit<SweepInput, 'identifier'> & ScheduleTiming;

export interface ScheduleTiming {
  every?: DurationInput;
  cron?: string;
  timezone?: string;
  jitter?: DurationInput;
  /** With `every`: start each user at their own fixed offset in the interval (default true). */
  spread?: boolean;
  /**
   * How late a missed run may still start after an outage (Temporal's catch-up window). Default: one
   * interval for `every`, an hour for `cron`, so an outage of a day fires one sweep, not 96.
   */
  catchupWindow?: DurationInput;
  paused?: boolean;
}

/** The catch-up window of a cron schedule unless one is given. */
export const DEFAULT_CRON_CATCHUP_WINDOW = '1 hour';

/** What `listSweeps` filters on; all optional. */
export interface ListSweepsOptions {
  /** One user's sweeps. */
  identifier?: string;
  phase?: SweepPhase[];
  outcome?: string[];
  /** Started within this duration ("24h"). */
  since?: DurationInput;
  /** Only running sweeps (true) or only closed ones (false). */
  running?: boolean;
  pageSize?: number;
  /** From a previous page's `nextPageToken`. */
  pageToken?: string;
}

/** One sweep as visibility lists it, with what the `status` query adds for waiting ones. */
export interface SweepListing {
  workflowId: string;
  runId: string;
  identifier?: string;
  status: string;
  phase?: string;
  outcome?: string;
  startedAt: string;
  closedAt?: string;
  /** Waiting sweeps: what is inactive and until when they wait (from their `status` query). */
  inactiveConnections?: string[];
  reauthDeadline?: string;
  /** Unread messages set aside (`gave_up`) when the sweep ended (from its memo); `retry` brings one back. */
  setAside?: number;
}

/**
 * A fixed offset inside the interval, from a hash of the identifier: "every hour" for 10,000 users
 * starts a few per second, the same second every hour, instead of all at :00. Whole seconds.
 */
export function spreadOffsetMs(identifier: string, everyMs: number): number {
  const seconds = Math.floor(everyMs / 1000);
  if (seconds <= 1) return 0;
  const hash = createHash('sha256').update(identifier).digest().readUInt32BE(0);
  return (hash % seconds) * 1000;
}

/** The workflows' own input checks, run before anything starts: their failures become InvalidInputError. */
function clientSide<T>(check: () => T, fields: string[] = []): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw new InvalidInputError(err.message, fields);
    throw err;
  }
}

export function assertIdentifier(identifier: string): void {
  clientSide(() => checkIdentifier(identifier));
}

export function assertMessageId(messageId: string): void {
  clientSide(() => checkMessageId(messageId));
}

export function assertScheduleOptions(options: ScheduleTiming): void {
  if (!options.every === !options.cron) {
    throw new InvalidInputError('give exactly one of every or cron', ['every', 'cron']);
  }
  const cron = options.cron === undefined ? undefined : cronProblem(options.cron);
  if (cron) throw new InvalidInputError(`invalid schedule: cron ${show(options.cron)}: ${cron}`, ['cron']);
  if (options.timezone !== undefined && !options.cron) {
    throw new InvalidInputError('timezone goes with cron', ['timezone', 'cron']);
  }
  const tz = options.timezone === undefined ? undefined : timezoneProblem(options.timezone);
  if (tz) throw new InvalidInputError(`invalid schedule: timezone ${show(options.timezone)}: ${tz}`, ['timezone']);
  assertDuration('every', options.every);
  assertDuration('jitter', options.jitter);
  assertDuration('catchupWindow', options.catchupWindow);
}

/** A duration option by the parser the workflow uses (Temporal's), as the caller gave it. */
function assertDuration(name: string, value: DurationInput | undefined): Duration | undefined {
  if (value === undefined) return undefined;
  clientSide(() => parseDuration(name, value), [name]);
  return value as Duration;
}

/**
 * The sweep's input as it goes to the workflow: the identifier and the options given, checked here by
 * the schema (`parseSweepInput`'s check) so nothing starts with input the worker would refuse.
 */
export function sweepInput(identifier: string, options: Omit<SweepInput, 'identifier'>): SweepInput {
  const input: SweepInput = { identifier };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) Object.assign(input, { [key]: value });
  const checked = checkSweepInputSchema(input);
  if (!checked.success) {
    const { message, field } = checked.problem;
    throw new InvalidInputError(message, field ? [field] : []);
  }
  return input;
}

/**
 * The typed way for other services (and the CLI) to drive inbox sweeps. It needs only Temporal
 * access: Scalekit and Anthropic credentials stay on the workers.
 */
export class InboxAgentClient {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
  ) {}

  static async connect(config: ClientConfig = loadClientConfig()): Promise<InboxAgentClient> {
    const connection = await Connection.connect(config.connectionOptions);
    const client = new Client({
      connection,
      namespace: config.namespace,
      dataConverter: config.dataConverter,
      // A start or signal carries the caller's trace context into the sweep when the process has an
      // OpenTelemetry tracer provider registered; without one, the interceptor is a no-op.
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    });
    return new InboxAgentClient(client, config.taskQueue);
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }

  /** Runs the one-time build on a worker: find-or-create the Virtual MCP config and the agent. */
  async setup(): Promise<ProvisionResult> {
    return this.client.workflow.executeUpdateWithStart(setupUpdate, { startWorkflowOperation: this.operator() });
  }

  /**
   * The user's connections, with links made just now for the inactive ones; `newAccounts` names the
   * connections this call created an account for (the identifier was new to Scalekit).
   */
  async authLinks(identifier: string): Promise<ConnectionsReport> {
    assertIdentifier(identifier);
    return this.client.workflow.executeUpdateWithStart(authLinksUpdate, {
      args: [identifier],
      startWorkflowOperation: this.operator(),
    });
  }

  /** The deployment's operator workflow, started by the first helper call that finds it not running. */
  private operator() {
    return new WithStartWorkflowOperation<typeof inboxAgentOperator>(WorkflowType.operator, {
      workflowId: operatorWorkflowId(this.taskQueue),
      taskQueue: this.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: 'inbox-agent operator: setup and auth-links run here as Updates',
    });
  }

  /**
   * Starts the user's sweep, or attaches to the one that runs: at most one sweep per user runs,
   * whoever starts it (see `sweepWorkflowId` in the contract for how).
   */
  async startSweep(identifier: string, options: SweepOptions = {}): Promise<SweepHandle> {
    const { requestId, ...fields } = options;
    const input = sweepInput(identifier, fields);
    if (requestId === undefined) {
      return this.client.workflow.start<typeof inboxSweep>(WorkflowType.inboxSweep, {
        ...sweepStartOptions(identifier, this.taskQueue),
        args: [input],
      });
    }
    clientSide(() => checkRequestId(requestId), ['requestId']);
    const ticketOptions = sweepTicketStartOptions(identifier, requestId, this.taskQueue);
    let ticket: WorkflowHandle<typeof inboxSweep>;
    try {
      ticket = await this.client.workflow.start<typeof inboxSweep>(WorkflowType.inboxSweep, {
        ...ticketOptions,
        args: [input],
      });
    } catch (err) {
      // REJECT_DUPLICATE: this request id was served before; its closed ticket says by which run.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      ticket = this.client.workflow.getHandle(ticketOptions.workflowId);
    }
    const { sweep } = await ticket.result();
    if (!sweep) throw new Error(`ticket ${ticketOptions.workflowId} named no sweep`);
    return Object.assign(this.client.workflow.getHandle<typeof inboxSweep>(sweep.workflowId, sweep.runId), {
      firstExecutionRunId: sweep.runId,
    });
  }

  async sweep(identifier: string, options: SweepOptions = {}): Promise<SweepReport> {
    return (await this.startSweep(identifier, options)).result();
  }

  /**
   * Puts a message set aside (`gave_up`) back in the user's queue: the next sweep tries it again, its
   * attempts counted afresh. Runs on a worker, which holds the ledger. False when it was not set aside.
   */
  async retry(identifier: string, messageId: string): Promise<boolean> {
    assertIdentifier(identifier);
    assertMessageId(messageId);
    return this.client.workflow.executeUpdateWithStart(retryMessageUpdate, {
      args: [identifier, messageId],
      startWorkflowOperation: this.operator(),
    });
  }

  /** Running sweeps of one user, newest first (from visibility, so seconds behind at worst). */
  async runningSweeps(identifier: string): Promise<string[]> {
    assertIdentifier(identifier);
    const ids: string[] = [];
    const query = sweepsQuery({ running: true, identifier });
    for await (const execution of this.client.workflow.list({ query })) ids.push(execution.workflowId);
    return ids;
  }

  /** Status of each running sweep of the user, or of the given workflow. */
  async status(identifier: string, workflowId?: string): Promise<Array<{ workflowId: string; status: SweepStatus }>> {
    const ids = workflowId ? [await this.sweepOf(identifier, workflowId)] : await this.runningSweeps(identifier);
    return Promise.all(
      ids.map(async (id) => ({ workflowId: id, status: await sweepStatus(this.client.workflow.getHandle(id)) })),
    );
  }

  /**
   * The user's most recently closed sweep, with its report when it completed: what `status` shows when
   * none runs. From visibility, so a sweep that closed a moment ago may take a second to appear.
   */
  async lastSweep(identifier: string): Promise<(SweepListing & { report?: SweepReport }) | undefined> {
    const [last] = (await this.listSweeps({ identifier, running: false, pageSize: 1 })).sweeps;
    if (!last) return undefined;
    if (last.status !== 'COMPLETED') return last;
    const report = await this.client.workflow
      .getHandle<typeof inboxSweep>(last.workflowId, last.runId)
      .result()
      .catch(() => undefined);
    return report ? { ...last, report } : last;
  }

  /** Tells the user's running sweeps (or the given one) that the user re-authorized; returns who heard it. */
  async reauthorized(identifier: string, options: { workflowId?: string; note?: string } = {}): Promise<string[]> {
    const ids = options.workflowId
      ? [await this.sweepOf(identifier, options.workflowId)]
      : await this.runningSweeps(identifier);
    for (const id of ids) {
      await this.client.workflow.getHandle(id).signal(reauthorizedSignal, { note: options.note });
    }
    return ids;
  }

  /** The user's settings (the approval mode), as the shared store holds them. */
  async userSettings(identifier: string, change: { approval?: ApprovalMode } = {}): Promise<UserSettings> {
    assertIdentifier(identifier);
    if (change.approval !== undefined && !APPROVAL_MODES.includes(change.approval)) {
      throw new InvalidInputError(
        `invalid approval mode "${change.approval}": expected ${APPROVAL_MODES.join(' or ')}`,
      );
    }
    return this.client.workflow.executeUpdateWithStart(userSettingsUpdate, {
      args: [{ identifier, ...(change.approval ? { approval: change.approval } : {}) }],
      startWorkflowOperation: this.operator(),
    });
  }

  /** The user's running sweep's proposed events (approval mode ask): pending and decided. */
  async proposals(identifier: string): Promise<{ workflowId?: string; proposals: ProposalView[]; deadline?: string }> {
    const sweep = await this.runningSweep(identifier);
    return sweep?.status?.proposals
      ? {
          workflowId: sweep.workflowId,
          proposals: sweep.status.proposals,
          ...(sweep.status.approvalDeadline ? { deadline: sweep.status.approvalDeadline } : {}),
        }
      : { proposals: [] };
  }

  /**
   * Approves (or denies) the given pending proposals of the user's running sweep, every pending one
   * when `ids` is empty, through the `decideProposals` Update. Ids that are not pending, or a sweep
   * that waits for nothing, are refused (InvalidInputError) and nothing changes.
   */
  async decideProposals(
    identifier: string,
    options: { decision: ProposalDecision; ids?: string[]; reason?: string; by?: string; runId?: string },
  ): Promise<DecideProposalsResult & { workflowId: string }> {
    assertIdentifier(identifier);
    const workflowId = sweepWorkflowId(identifier);
    let ids = options.ids ?? [];
    if (ids.length === 0) {
      const { proposals } = await this.proposals(identifier);
      ids = proposals.filter((p) => p.state === 'pending').map((p) => p.id);
      if (ids.length === 0) throw new InvalidInputError(`no proposal of ${identifier} waits for a decision`);
    }
    const decisions: DecideProposalsInput = {
      decisions: ids.map((id) => ({
        id,
        decision: options.decision,
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
      })),
      ...(options.by ? { by: options.by } : {}),
    };
    // The schema here; the workflow's validator checks only what it must (zod is not in its bundle).
    const parsed = DecideProposalsInputSchema.safeParse(decisions);
    if (!parsed.success) throw new InvalidInputError(`invalid decisions: ${parsed.error.issues[0]!.message}`);
    const handle = this.client.workflow.getHandle<typeof inboxSweep>(workflowId, options.runId);
    try {
      const result = await handle.executeUpdate(decideProposalsUpdate, { args: [decisions] });
      return { ...result, workflowId };
    } catch (err) {
      // The validator's refusal (not pending, named twice) is the caller's input, as is a closed sweep.
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        throw new InvalidInputError(err.cause.message);
      }
      if (err instanceof WorkflowNotFoundError) {
        throw new InvalidInputError(`no sweep of ${identifier} waits for a decision`);
      }
      throw err;
    }
  }

  /**
   * A workflow id given with an identifier must be a sweep of that user, as its search attribute says
   * (the id alone cannot tell: identifiers may contain the separators ids use).
   */
  private async sweepOf(identifier: string, workflowId: string): Promise<string> {
    assertIdentifier(identifier);
    let owner: string | undefined;
    let type: string | undefined;
    try {
      const described = await this.client.workflow.getHandle(workflowId).describe();
      owner = described.typedSearchAttributes.get(searchAttributes.identifier);
      type = described.type;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      throw new InvalidInputError(`no workflow with workflowId "${workflowId}"`, ['workflowId']);
    }
    if (type !== WorkflowType.inboxSweep || owner !== identifier) {
      throw new InvalidInputError(`workflowId "${workflowId}" is not a sweep of ${identifier}`, ['workflowId']);
    }
    return workflowId;
  }

  /**
   * Creates the user's recurring sweep, or updates it in place: state (paused, note) and history
   * (recent runs, counts) stay. Overlapping runs are skipped, not queued. A spec the server refuses
   * (bad cron, unknown time zone) is an InvalidInputError and leaves any existing schedule as it was:
   * the update is one atomic call, and nothing is deleted first.
   */
  async schedule(identifier: string, options: ScheduleOptions): Promise<ScheduleHandle> {
    const {
      every: _every,
      cron: _cron,
      timezone: _tz,
      jitter: _jitter,
      spread,
      catchupWindow: _cw,
      paused,
      ...sweep
    } = options;
    const input = sweepInput(identifier, sweep);
    assertScheduleOptions(options);
    const every = assertDuration('every', options.every);
    const jitter = assertDuration('jitter', options.jitter);
    const catchupWindow =
      assertDuration('catchupWindow', options.catchupWindow) ?? every ?? DEFAULT_CRON_CATCHUP_WINDOW;
    const offset = every && spread !== false ? spreadOffsetMs(identifier, parseDuration('every', every)) : 0;
    const spec: ScheduleSpec = {
      ...(every ? { intervals: [{ every, offset }] } : { cronExpressions: [options.cron!] }),
      ...(options.timezone ? { timezone: options.timezone } : {}),
      ...(jitter ? { jitter } : {}),
    };
    const action = {
      type: 'startWorkflow' as const,
      workflowType: WorkflowType.inboxSweep,
      taskQueue: this.taskQueue,
      // Temporal appends the fire time to this id: the run is a ticket that attaches to the user's sweep.
      workflowId: scheduledSweepWorkflowId(identifier),
      args: [input],
      typedSearchAttributes: ticketSearchAttributes(identifier),
      staticSummary: `Scheduled inbox sweep for ${identifier}`,
    };
    const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow };
    const handle = this.scheduleHandle(identifier);
    try {
      await handle.update((previous) => ({
        spec,
        action,
        policies: { ...previous.policies, ...policies },
        state: paused
          ? { paused: true, note: 'paused when the schedule was set' }
          : { paused: previous.state.paused, note: previous.state.note },
      }));
      return handle;
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw invalidSpec(err);
    }
    return this.client.schedule
      .create({
        scheduleId: handle.scheduleId,
        spec,
        action,
        policies,
        state: { paused: paused ?? false, note: 'created by inbox-agent' },
        typedSearchAttributes: [{ key: searchAttributes.identifier, value: identifier }],
      })
      .catch((err: unknown) => {
        throw invalidSpec(err);
      });
  }

  /**
   * Deletes the user's schedule. The user's sweep is a workflow of its own and goes on: one waiting
   * for re-authorization keeps waiting until its deadline (or a `reauthorized` signal);
   * `stillRunning` names it.
   */
  async unschedule(identifier: string): Promise<UnscheduleResult> {
    try {
      await this.scheduleHandle(identifier).delete();
    } catch (err) {
      if (isScheduleGone(err)) return { deleted: false, stillRunning: [] };
      throw err;
    }
    const running = await this.runningSweep(identifier);
    const stillRunning = running
      ? [
          {
            workflowId: running.workflowId,
            phase: running.status?.phase,
            reauthDeadline: running.status?.reauthDeadline,
          },
        ]
      : [];
    return { deleted: true, stillRunning };
  }

  /** The user's one sweep (the canonical id) while it runs, with its status when it answers. */
  private async runningSweep(identifier: string): Promise<{ workflowId: string; status?: SweepStatus } | undefined> {
    const handle = this.client.workflow.getHandle(sweepWorkflowId(identifier));
    const described = await handle.describe().catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
    if (described?.status.name !== 'RUNNING') return undefined;
    return { workflowId: handle.workflowId, status: await sweepStatus(handle).catch(() => undefined) };
  }

  /** Every user's schedule (schedules of this project only: those that start `inboxSweep`). */
  async listSchedules(): Promise<ScheduleSummaryView[]> {
    const views: ScheduleSummaryView[] = [];
    for await (const s of this.client.schedule.list()) {
      if (s.action?.workflowType !== WorkflowType.inboxSweep) continue;
      views.push({
        scheduleId: s.scheduleId,
        identifier: s.typedSearchAttributes?.get(searchAttributes.identifier),
        spec: describeSpec(s.spec),
        paused: s.state.paused,
        ...(s.state.note ? { note: s.state.note } : {}),
        nextRuns: s.info.nextActionTimes.map((t) => t.toISOString()),
      });
    }
    return views.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  }

  /** The user's schedule: spec, policies, paused and why, next runs and how the recent runs ended. */
  async describeSchedule(identifier: string): Promise<ScheduleView> {
    const d = await this.scheduleHandle(identifier).describe().catch(notScheduled(identifier));
    const running = await this.runningSweep(identifier);
    const recentRuns = await Promise.all(
      [...d.info.recentActions].reverse().map(async (a): Promise<ScheduleRunView> => {
        const { workflowId, firstExecutionRunId: runId } = a.action.workflow;
        // A scheduled run is a ticket that delegates to the user's sweep: report the sweep it named.
        const ticket = this.client.workflow.getHandle<typeof inboxSweep>(workflowId, runId);
        const delegated = await ticket
          .describe()
          .then(async (d) => (d.status.name === 'COMPLETED' ? (await ticket.result()).sweep : undefined))
          .catch(() => undefined);
        const sweep = delegated ?? { workflowId, runId };
        const run = await this.client.workflow
          .getHandle(sweep.workflowId, sweep.runId)
          .describe()
          .catch(() => undefined);
        const outcome =
          run?.status.name === 'COMPLETED' ? run.typedSearchAttributes.get(searchAttributes.outcome) : undefined;
        return {
          scheduledAt: a.scheduledAt.toISOString(),
          takenAt: a.takenAt.toISOString(),
          workflowId: sweep.workflowId,
          runId: sweep.runId,
          ...(run ? { status: run.status.name } : {}),
          ...(outcome ? { outcome } : {}),
        };
      }),
    );
    return {
      scheduleId: d.scheduleId,
      identifier,
      spec: describeSpec(d.spec),
      ...(d.spec.timezone ? { timezone: d.spec.timezone } : {}),
      ...(d.spec.jitter ? { jitter: duration(d.spec.jitter) } : {}),
      catchupWindow: duration(d.policies.catchupWindow),
      overlap: d.policies.overlap ?? 'SKIP',
      paused: d.state.paused,
      ...(d.state.note ? { note: d.state.note } : {}),
      nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
      createdAt: d.info.createdAt.toISOString(),
      ...(d.info.lastUpdatedAt ? { updatedAt: d.info.lastUpdatedAt.toISOString() } : {}),
      actionsTaken: d.info.numActionsTaken,
      skippedOverlap: d.info.numActionsSkippedOverlap,
      missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      recentRuns,
      running: running ? [running.workflowId] : [],
    };
  }

  async pauseSchedule(identifier: string, note = 'paused from inbox-agent'): Promise<void> {
    await this.scheduleHandle(identifier).pause(note).catch(notScheduled(identifier));
  }

  async unpauseSchedule(identifier: string, note = 'unpaused from inbox-agent'): Promise<void> {
    await this.scheduleHandle(identifier).unpause(note).catch(notScheduled(identifier));
  }

  /**
   * Runs the user's schedule now. While the user's sweep runs, the triggered run attaches to it (one
   * sweep per user), and `running` names that sweep.
   */
  async triggerSchedule(identifier: string): Promise<{ running: string[] }> {
    const handle = this.scheduleHandle(identifier);
    const d = await handle.describe().catch(notScheduled(identifier));
    const running = await this.runningSweep(identifier);
    await handle.trigger(d.policies.overlap);
    return { running: running ? [running.workflowId] : [] };
  }

  /**
   * Sweeps from visibility, newest first, one page at a time (`nextPageToken` for the next). Waiting
   * sweeps also get their inactive connections and deadline from their `status` query.
   */
  async listSweeps(options: ListSweepsOptions = {}): Promise<{ sweeps: SweepListing[]; nextPageToken?: string }> {
    const query = listSweepsQuery(options);
    const response = await this.client.workflowService.listWorkflowExecutions({
      namespace: this.client.options.namespace,
      query,
      pageSize: options.pageSize ?? 100,
      nextPageToken: options.pageToken ? Buffer.from(options.pageToken, 'base64url') : undefined,
    });
    const sweeps = await Promise.all(
      response.executions.map(async (raw): Promise<SweepListing> => {
        const info = await executionInfoFromRaw(
          raw,
          this.client.options.loadedDataConverter,
          raw,
          this.client.options.namespace,
        );
        const attr = info.typedSearchAttributes;
        const listing: SweepListing = {
          workflowId: info.workflowId,
          runId: info.runId,
          identifier: attr.get(searchAttributes.identifier),
          status: info.status.name,
          phase: attr.get(searchAttributes.phase),
          // Preset at start (`sweepSearchAttributes`): an outcome only once the run completed.
          outcome: info.status.name === 'COMPLETED' ? attr.get(searchAttributes.outcome) : undefined,
          startedAt: info.startTime.toISOString(),
          ...(info.closeTime ? { closedAt: info.closeTime.toISOString() } : {}),
          ...(typeof info.memo?.setAside === 'number' ? { setAside: info.memo.setAside } : {}),
        };
        if (listing.status === 'RUNNING' && listing.phase === 'awaiting_reauthorization') {
          const status = await this.client.workflow
            .getHandle(info.workflowId, info.runId)
            .query(statusQuery)
            .catch(() => undefined);
          if (status) {
            listing.inactiveConnections = status.inactiveConnections;
            listing.reauthDeadline = status.reauthDeadline;
          }
        }
        return listing;
      }),
    );
    const token = response.nextPageToken?.length
      ? Buffer.from(response.nextPageToken).toString('base64url')
      : undefined;
    return { sweeps, ...(token ? { nextPageToken: token } : {}) };
  }

  private scheduleHandle(identifier: string): ScheduleHandle {
    assertIdentifier(identifier);
    return this.client.schedule.getHandle(scheduleId(identifier));
  }
}

/** The visibility query behind `listSweeps`, also shown in docs/operating.md for the Temporal CLI and Web UI. */
export function listSweepsQuery(
  options: Pick<ListSweepsOptions, 'identifier' | 'phase' | 'outcome' | 'since' | 'running'>,
): string {
  const quoted = (values: string[]) => values.map((v) => `'${v}'`).join(', ');
  const clauses: string[] = [];
  // Identifiers are checked against the contract's pattern, which has no quote: safe in a query.
  if (options.identifier !== undefined) {
    assertIdentifier(options.identifier);
    clauses.push(`${searchAttributes.identifier.name} = '${options.identifier}'`);
  }
  for (const [key, values] of [
    [searchAttributes.phase.name, options.phase],
    [searchAttributes.outcome.name, options.outcome],
  ] as const) {
    if (!values?.length) continue;
    // Values go into a query string: only the closed vocabulary's characters may.
    for (const v of values) if (!/^[a-z_]+$/.test(v)) throw new InvalidInputError(`invalid value "${v}" for ${key}`);
    clauses.push(values.length === 1 ? `${key} = '${values[0]}'` : `${key} IN (${quoted(values)})`);
    // A sweep starts with outcome `nothing_new` (see `sweepSearchAttributes`): only completed runs have one.
    if (key === searchAttributes.outcome.name) clauses.push(`ExecutionStatus = 'Completed'`);
  }
  // Tickets (request ids, schedule ticks) only point at the user's sweep: not listed unless asked for.
  if (!options.phase?.length && !options.outcome?.length) {
    clauses.push(
      `(${searchAttributes.outcome.name} IS NULL OR ${searchAttributes.outcome.name} != 'delegated')`,
      `(${searchAttributes.phase.name} IS NULL OR ${searchAttributes.phase.name} != 'delegating')`,
    );
  }
  const since = assertDuration('since', options.since);
  if (since !== undefined)
    clauses.push(`StartTime > '${new Date(Date.now() - parseDuration('since', since)).toISOString()}'`);
  return sweepsQuery({ running: options.running }, ...clauses);
}

/** The server refused the spec (the SDK turns INVALID_ARGUMENT "Invalid schedule spec" into a TypeError). */
function invalidSpec(err: unknown): unknown {
  return err instanceof TypeError ? new InvalidInputError(`invalid schedule: ${err.message}`) : err;
}

function isScheduleGone(err: unknown): boolean {
  return err instanceof ScheduleNotFoundError || err instanceof WorkflowNotFoundError;
}

const notScheduled = (identifier: string) => (err: unknown) => {
  throw isScheduleGone(err) ? new InvalidInputError(`${identifier} has no schedule`) : err;
};
