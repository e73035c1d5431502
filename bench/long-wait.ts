/**
 * `npm run bench`'s simulated long consent wait (issue 17): what a sweep that waits 30 days for
 * re-authorization, re-checking hourly and reminding daily, costs in Temporal history and actions,
 * and how many runs it takes (continue-as-new at the product's 2,000-event budget).
 *
 * Shortened intervals, the same events per cycle: an hour is `hourMs` (100 ms), a day 24 of them.
 * A re-check's events do not depend on how long its timer was, so a wait of N re-checks records
 * what N hourly re-checks would. Only the floors of `recheckEvery`/`remindEvery` are lowered, in a
 * worker of this section's own (its bundle defines the test limits, workflows/limits.ts); the
 * history budget is the product's. The wait is stopped by count, not by its deadline: a re-check
 * takes some work on top of its timer, so a wall-clock deadline would leave fewer re-checks than
 * the days it stands for. Reminders follow the wall clock: their cadence is 24 measured cycles (a
 * short calibration wait first), and the section prints how many were sent; every per-day figure
 * is per 24 re-checks made.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { InboxAgentClient } from '../client/index.js';
import { workflowBundle } from '../test/helpers/bundle.js';
import { parseWorkerConfig } from '../worker/config.js';
import { startInboxWorker } from '../worker/start.js';
import { PRODUCT_LIMITS } from '../workflows/limits.js';
import { round, seeder, sleep, type ControlPlane } from './common.js';
import { historyCost } from './temporal-cost.js';

const T = proto.temporal.api.enums.v1.EventType;

export interface LongWaitOptions {
  address: string;
  namespace: string;
  /** The bench's client (its codec); sweeps go to this section's own task queue. */
  client: Client;
  /** The bench worker's environment (emulator URLs, keys); this section's worker adds its own queue. */
  workerEnv: Record<string, string>;
  scalekit: ControlPlane;
  days: number;
  hourMs?: number;
  /** Default the product's (2,000 events); `--small` lowers it so a week-long wait crosses it too. */
  historyEventBudget?: number;
}

export interface LongWaitFigures {
  simulatedDays: number;
  hourMs: number;
  /** The reminder cadence used: 24 re-check cycles as measured by the calibration wait. */
  remindEveryMs: number;
  /** Re-checks the wait made (the report's count), and reminders sent (from the histories). */
  rechecks: number;
  reminders: number;
  outcome: string;
  /** Runs of the one sweep: 1 + the times it continued as new. */
  runs: number;
  historyEventBudget: number;
  eventsPerRun: { max: number; mean: number };
  totalEvents: number;
  totalActions: number;
  perSimulatedDay: { events: number; actions: number; scalekitCalls: number };
  /** What the wait did that it must not: a run past its budget, no continue-as-new past it. */
  problems: string[];
}

export async function simulatedLongWait(options: LongWaitOptions): Promise<LongWaitFigures> {
  const { client, scalekit, days } = options;
  const hourMs = options.hourMs ?? 100;
  const budget = options.historyEventBudget ?? PRODUCT_LIMITS.historyEventBudget;
  const taskQueue = 'bench-long-wait';
  // The wall clock is part of the simulation: no latency added to each call here.
  await scalekit.call('DELETE', '/_emulator/faults');
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await startInboxWorker(
    parseWorkerConfig({
      ...options.workerEnv,
      INBOX_AGENT_TASK_QUEUE: taskQueue,
      INBOX_AGENT_STATE_DIR: `${options.workerEnv.INBOX_AGENT_STATE_DIR}-long-wait`,
      INBOX_AGENT_LOG_LEVEL: 'WARN',
    }),
    {
      temporal: { connection, client, namespace: options.namespace },
      workflowBundle: await workflowBundle({ historyEventBudget: budget }),
    },
  );
  try {
    const inbox = new InboxAgentClient(client, taskQueue);
    // Converged already when the bench's own worker ran it; idempotent, so the section also runs alone.
    await inbox.setup();
    const scalekitCalls = async () => Object.values(await scalekit.counters()).reduce((a, b) => a + b, 0);
    const listings = async () =>
      Object.entries(await scalekit.counters())
        .filter(([route]) => route.includes('connected_accounts'))
        .reduce((n, [, v]) => n + v, 0);
    /** One waiting sweep, stopped by consent after about `rechecks` re-checks. */
    const wait = async (identifier: string, rechecks: number, remindEveryMs: number) => {
      await seeder(scalekit)(identifier, [], 'EXPIRED');
      const [callsBefore, listingsBefore, t0] = [await scalekitCalls(), await listings(), Date.now()];
      const handle = await inbox.startSweep(identifier, {
        reauthTimeout: '30 days',
        recheckEvery: `${hourMs}ms`,
        remindEvery: `${remindEveryMs}ms`,
      });
      // A connection listing per re-check (and one per reminder, for its fresh links).
      const end = Date.now() + rechecks * hourMs * 50 + 60_000;
      while ((await listings()) - listingsBefore < rechecks + Math.ceil(rechecks / 24) + 1) {
        if (Date.now() > end) throw new Error(`the simulated wait did not reach ${rechecks} re-checks in time`);
        await sleep(200);
      }
      await scalekit.call('PUT', `/_emulator/users/${identifier}/connections/gmail`, { status: 'ACTIVE' });
      await inbox.reauthorized(identifier, { note: 'end of the simulated wait' });
      const report = await handle.result();
      // The report counts every return of the wait, carried across runs: each re-check, and the
      // last one, woken by the signal.
      const made = report.reauthWaits - 1;
      return {
        handle,
        report,
        rechecks: made,
        cycleMs: (Date.now() - t0) / made,
        calls: (await scalekitCalls()) - callsBefore,
      };
    };
    // A re-check takes its timer plus the work of the check, which on a busy machine is more than
    // the timer: reminders follow the wall clock, so their cadence is set from a measured cycle to
    // keep one reminder per 24 re-checks, as a daily reminder is to hourly re-checks.
    const calibration = await wait('long-wait-calibration', 12, 30 * 24 * hourMs);
    const remindEveryMs = Math.round(24 * Math.max(calibration.cycleMs, hourMs));
    const { handle, report, rechecks, calls } = await wait('long-wait', days * 24, remindEveryMs);

    const perRun: Array<{ events: number; actions: number; reminders: number }> = [];
    // The chain of runs, each history naming the next: exact, where a visibility listing may lag.
    for (let runId: string | undefined = handle.firstExecutionRunId; runId;) {
      const history = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      const scheduled = (name: string) =>
        (history.events ?? []).filter(
          (e) =>
            e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
            e.activityTaskScheduledEventAttributes?.activityType?.name === name,
        ).length;
      perRun.push({
        ...historyCost(history),
        reminders: scheduled('notifyReauthorization'),
      });
    }
    const sum = (f: (r: (typeof perRun)[number]) => number) => perRun.reduce((n, r) => n + f(r), 0);
    const simulatedDays = rechecks / 24;
    const totalEvents = sum((r) => r.events);
    const totalActions = sum((r) => r.actions);
    const maxEvents = Math.max(...perRun.map((r) => r.events));
    const problems: string[] = [];
    // The budget is checked between re-checks: a run may pass it by one cycle (and a reminder), no more.
    if (maxEvents > budget + 40) problems.push(`a run of ${maxEvents} events, budget ${budget}`);
    if (totalEvents > budget + 40 && perRun.length < 2) problems.push(`${totalEvents} events in one run`);
    return {
      simulatedDays: round(simulatedDays, 1),
      hourMs,
      remindEveryMs,
      rechecks,
      reminders: sum((r) => r.reminders),
      outcome: report.outcome,
      runs: perRun.length,
      historyEventBudget: budget,
      eventsPerRun: { max: maxEvents, mean: round(totalEvents / perRun.length, 0) },
      totalEvents,
      totalActions,
      perSimulatedDay: {
        events: round(totalEvents / simulatedDays, 0),
        actions: round(totalActions / simulatedDays, 1),
        scalekitCalls: round(calls / simulatedDays, 1),
      },
      problems,
    };
  } finally {
    await worker.stop();
    await connection.close();
  }
}
