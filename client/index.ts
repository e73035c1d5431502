import { createHash, randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type ScheduleHandle,
  type ScheduleSpec,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import {
  connectionsWorkflowId,
  MAX_MAX_EMAILS,
  MAX_REAUTH_TIMEOUT_MS,
  scheduledSweepWorkflowId,
  sweepStartOptions,
  sweepTicketStartOptions,
  MAX_SESSION_TIMEOUT_MS,
  provisionWorkflowId,
  reauthorizedSignal,
  scheduleId,
  searchAttributes,
  statusQuery,
  type ConnectionsReport,
  type ProvisionResult,
  type SweepInput,
  type SweepReport,
  type SweepStatus,
} from '../workflows/contract.js';
import { checkIdentifier, checkRequestId, parseDuration } from '../workflows/input.js';
import type { connections, inboxSweep, provision } from '../workflows/index.js';
import { loadClientConfig, type ClientConfig } from './config.js';

export * from '../workflows/contract.js';

/** Input a caller got wrong: the CLI reports it as one line with exit code 2. */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** A Temporal duration, or a string a person typed that should be one ("90s", "15 minutes"). */
export type DurationInput = Duration | string;

export interface SweepOptions {
  /**
   * Makes the start idempotent: the same request ID resolves to the same sweep run (attaching while
   * it runs, its result once closed) for as long as Temporal retains it.
   */
  requestId?: string;
  /** At most this many unhandled e-mails per sweep (default 5). */
  maxEmails?: number;
  /** The guide's behaviour: an event for every e-mail. */
  eventForEveryEmail?: boolean;
  reauthTimeout?: DurationInput;
  sessionTimeout?: DurationInput;
}

/** A handle on the user's sweep run; `firstExecutionRunId` pins the run a start resolved to. */
export type SweepHandle = WorkflowHandle<typeof inboxSweep> & { firstExecutionRunId: string };

export interface ScheduleOptions {
  every?: DurationInput;
  cron?: string;
  timezone?: string;
  jitter?: DurationInput;
  /** With `every`: start each user at their own fixed offset in the interval (default true). */
  spread?: boolean;
  reauthTimeout?: DurationInput;
  sessionTimeout?: DurationInput;
  paused?: boolean;
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
function clientSide<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw new InvalidInputError(err.message);
    throw err;
  }
}

export function assertIdentifier(identifier: string): void {
  clientSide(() => checkIdentifier(identifier));
}

export function assertScheduleOptions(options: ScheduleOptions): void {
  if (!options.every === !options.cron) throw new InvalidInputError('give exactly one of --every or --cron');
  assertDuration('--every', options.every);
  assertDuration('--jitter', options.jitter);
}

/** The same parser and caps as the workflow's, so what the client accepts the workflow accepts. */
function assertDuration(name: string, value: DurationInput | undefined, maxMs = Infinity): Duration | undefined {
  if (value === undefined) return undefined;
  clientSide(() => parseDuration(name, value, maxMs));
  return value as Duration;
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
    return new InboxAgentClient(new Client({ connection, namespace: config.namespace }), config.taskQueue);
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }

  /** Runs the one-time build on a worker: find-or-create the Virtual MCP config and the agent. */
  async setup(): Promise<ProvisionResult> {
    return this.client.workflow.execute<typeof provision>('provision', {
      taskQueue: this.taskQueue,
      workflowId: `${provisionWorkflowId}:${randomUUID()}`,
    });
  }

  /** The user's connections, with links made just now for the inactive ones. */
  async authLinks(identifier: string): Promise<ConnectionsReport> {
    assertIdentifier(identifier);
    return this.client.workflow.execute<typeof connections>('connections', {
      taskQueue: this.taskQueue,
      workflowId: connectionsWorkflowId(identifier, randomUUID()),
      args: [identifier],
    });
  }

  /**
   * Starts the user's sweep, or attaches to the one that runs: at most one sweep per user runs,
   * whoever starts it (see `sweepWorkflowId` in the contract for how).
   */
  async startSweep(identifier: string, options: SweepOptions = {}): Promise<SweepHandle> {
    const input = this.sweepInput(identifier, options);
    if (options.requestId === undefined) {
      return this.client.workflow.start<typeof inboxSweep>('inboxSweep', {
        ...sweepStartOptions(identifier, this.taskQueue),
        args: [input],
      });
    }
    clientSide(() => checkRequestId(options.requestId));
    const ticketOptions = sweepTicketStartOptions(identifier, options.requestId, this.taskQueue);
    let ticket: WorkflowHandle<typeof inboxSweep>;
    try {
      ticket = await this.client.workflow.start<typeof inboxSweep>('inboxSweep', { ...ticketOptions, args: [input] });
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

  /** Running sweeps of one user, newest first (from visibility, so seconds behind at worst). */
  async runningSweeps(identifier: string): Promise<string[]> {
    assertIdentifier(identifier);
    const ids: string[] = [];
    const query = `WorkflowType = 'inboxSweep' AND ExecutionStatus = 'Running' AND ${searchAttributes.identifier.name} = '${identifier}'`;
    for await (const execution of this.client.workflow.list({ query })) ids.push(execution.workflowId);
    return ids;
  }

  /** Status of each running sweep of the user, or of the given workflow. */
  async status(identifier: string, workflowId?: string): Promise<Array<{ workflowId: string; status: SweepStatus }>> {
    const ids = workflowId ? [await this.sweepOf(identifier, workflowId)] : await this.runningSweeps(identifier);
    return Promise.all(
      ids.map(async (id) => ({ workflowId: id, status: await this.client.workflow.getHandle(id).query(statusQuery) })),
    );
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
      throw new InvalidInputError(`no workflow with --workflow-id "${workflowId}"`);
    }
    if (type !== 'inboxSweep' || owner !== identifier) {
      throw new InvalidInputError(`--workflow-id "${workflowId}" is not a sweep of ${identifier}`);
    }
    return workflowId;
  }

  /** Creates or replaces the user's recurring sweep. Overlapping runs are skipped, not queued. */
  async schedule(identifier: string, options: ScheduleOptions): Promise<ScheduleHandle> {
    const input = this.sweepInput(identifier, options);
    assertScheduleOptions(options);
    const every = assertDuration('--every', options.every);
    const jitter = assertDuration('--jitter', options.jitter);
    const offset = every && options.spread !== false ? spreadOffsetMs(identifier, parseDuration('--every', every)) : 0;
    const spec: ScheduleSpec = {
      ...(every ? { intervals: [{ every, offset }] } : { cronExpressions: [options.cron!] }),
      ...(options.timezone ? { timezone: options.timezone } : {}),
      ...(jitter ? { jitter } : {}),
    };
    const action = {
      type: 'startWorkflow' as const,
      workflowType: 'inboxSweep',
      taskQueue: this.taskQueue,
      // Temporal appends the fire time to this id: the run is a ticket that attaches to the user's sweep.
      workflowId: scheduledSweepWorkflowId(identifier),
      args: [input],
      typedSearchAttributes: [{ key: searchAttributes.identifier, value: identifier }],
      staticSummary: `Scheduled inbox sweep for ${identifier}`,
    };
    const id = scheduleId(identifier);
    await this.unschedule(identifier);
    return this.client.schedule.create({
      scheduleId: id,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      state: { paused: options.paused ?? false, note: 'created by inbox-agent' },
      typedSearchAttributes: [{ key: searchAttributes.identifier, value: identifier }],
    });
  }

  /** Deletes the user's schedule; false when there was none. */
  async unschedule(identifier: string): Promise<boolean> {
    assertIdentifier(identifier);
    try {
      await this.client.schedule.getHandle(scheduleId(identifier)).delete();
      return true;
    } catch (err) {
      if ((err as Error).name === 'ScheduleNotFoundError' || err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  private sweepInput(identifier: string, options: SweepOptions): SweepInput {
    assertIdentifier(identifier);
    const reauthTimeout = assertDuration('--reauth-timeout', options.reauthTimeout, MAX_REAUTH_TIMEOUT_MS);
    const sessionTimeout = assertDuration('--session-timeout', options.sessionTimeout, MAX_SESSION_TIMEOUT_MS);
    const { maxEmails } = options;
    if (maxEmails !== undefined && !(Number.isInteger(maxEmails) && maxEmails >= 1 && maxEmails <= MAX_MAX_EMAILS)) {
      throw new InvalidInputError(`invalid max emails ${maxEmails}: expected 1-${MAX_MAX_EMAILS}`);
    }
    return {
      identifier,
      ...(reauthTimeout !== undefined ? { reauthTimeout } : {}),
      ...(sessionTimeout !== undefined ? { sessionTimeout } : {}),
      ...(maxEmails !== undefined ? { maxEmails } : {}),
      ...(options.eventForEveryEmail ? { eventForEveryEmail: true } : {}),
    };
  }
}
