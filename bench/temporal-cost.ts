/**
 * Temporal Cloud's billable actions and the history events of a sweep or of a whole scheduled tick,
 * counted from the histories Temporal recorded. The bench prints them; a flow test holds the idle
 * tick to its budget (test/temporal-cost.test.ts).
 *
 * How Cloud counts (docs.temporal.io "Temporal Cloud Actions"): a workflow start (a de-duplicated
 * start that attaches to a running id is none); each activity attempt; all the local activities of
 * one workflow task as ONE action (it bills a task's `RecordMarker` commands once); timers; each
 * search-attribute upsert (attributes given at start are free, and so is the SDK's
 * `TemporalChangeVersion` upsert that goes with a patch); signals; updates; a child workflow
 * start as two. A schedule's execution is three: two for the schedule's start of it, one for the
 * workflow it starts (counted here as that workflow's start). Recorded heartbeats are actions that
 * leave no event: the caller adds the server's count. History-only figures are an estimate the docs
 * also call one; the memo upsert (`WorkflowPropertiesModified`) is counted, to err on the high side.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { scheduleId, type InboxAgentClient, type SweepReport } from '../client/index.js';

const T = proto.temporal.api.enums.v1.EventType;

/** What Cloud bills a schedule for one execution, on top of the start of the workflow it runs. */
export const SCHEDULE_START_ACTIONS = 2;

export interface HistoryCost {
  actions: number;
  events: number;
}

export function historyCost(history: proto.temporal.api.history.v1.IHistory): HistoryCost {
  const events = history.events ?? [];
  let actions = 0;
  // Markers (local activities, patches) bill once per workflow task that recorded them.
  const markerTasks = new Set<string>();
  for (const e of events) {
    switch (e.eventType) {
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
      case T.EVENT_TYPE_TIMER_STARTED:
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
      case T.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      case T.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
        actions += 1;
        break;
      case T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        // The SDK's own `TemporalChangeVersion` upsert (it goes with a `patched` marker) is not billed.
        const keys = Object.keys(
          e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
        );
        if (keys.some((k) => k !== 'TemporalChangeVersion')) actions += 1;
        break;
      }
      case T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        actions += 2;
        break;
      case T.EVENT_TYPE_MARKER_RECORDED:
        markerTasks.add(String(e.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? e.eventId));
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        // One action per attempt: retries show as the attempt number of the one started event.
        actions += e.activityTaskStartedEventAttributes?.attempt ?? 1;
        break;
    }
  }
  return { actions: actions + markerTasks.size, events: events.length };
}

export interface TickCost extends HistoryCost {
  /** Each workflow the tick ran (the ticket, the sweep it started or attached to), with its own cost. */
  workflows: Array<{ workflowId: string } & HistoryCost>;
  /** The schedule's own actions for the execution (`SCHEDULE_START_ACTIONS`), included in `actions`. */
  scheduleActions: number;
  outcome: string;
}

/**
 * Triggers the user's schedule once, waits for the run and the sweep it delegated to, and adds up
 * every workflow of that tick plus the schedule's own actions. The user must have no sweep running
 * (a tick that attaches to a running sweep shares that sweep's cost).
 */
/** One tick of a user's schedule, triggered now: the workflows it ran (the ticket, and the sweep it started, if any). */
export async function scheduledTick(
  client: Client,
  inbox: InboxAgentClient,
  identifier: string,
  timeoutMs = 120_000,
): Promise<{ runs: Array<{ workflowId: string; runId: string }>; outcome: string }> {
  const schedule = client.schedule.getHandle(scheduleId(identifier));
  const before = (await schedule.describe()).info.numActionsTaken;
  await inbox.triggerSchedule(identifier);
  const end = Date.now() + timeoutMs;
  let ticket: { workflowId: string; firstExecutionRunId: string } | undefined;
  while (!ticket) {
    const d = await schedule.describe();
    if (d.info.numActionsTaken > before) ticket = d.info.recentActions.at(-1)?.action.workflow;
    else if (Date.now() > end) throw new Error(`the schedule of ${identifier} took no action`);
    else await new Promise((r) => setTimeout(r, 100));
  }
  const ticketHandle = client.workflow.getHandle(ticket.workflowId, ticket.firstExecutionRunId);
  const delegated = (await ticketHandle.result()) as SweepReport;
  const runs = [{ workflowId: ticket.workflowId, runId: ticket.firstExecutionRunId }];
  let outcome = delegated.outcome;
  if (delegated.sweep) {
    const sweep = client.workflow.getHandle(delegated.sweep.workflowId, delegated.sweep.runId);
    outcome = ((await sweep.result()) as SweepReport).outcome;
    runs.push({ workflowId: delegated.sweep.workflowId, runId: delegated.sweep.runId });
  }
  return { runs, outcome };
}

export async function scheduledTickCost(
  client: Client,
  inbox: InboxAgentClient,
  identifier: string,
  timeoutMs = 120_000,
): Promise<TickCost> {
  const { runs, outcome } = await scheduledTick(client, inbox, identifier, timeoutMs);
  const workflows = await Promise.all(
    runs.map(async (r) => ({
      workflowId: r.workflowId,
      ...historyCost(await client.workflow.getHandle(r.workflowId, r.runId).fetchHistory()),
    })),
  );
  return {
    actions: SCHEDULE_START_ACTIONS + workflows.reduce((n, w) => n + w.actions, 0),
    events: workflows.reduce((n, w) => n + w.events, 0),
    scheduleActions: SCHEDULE_START_ACTIONS,
    workflows,
    outcome,
  };
}
