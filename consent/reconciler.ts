import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleClient } from '@temporalio/client';

/** The reconciler's workflow type: the exported function in workflows/consent-reconciler.ts. */
export const CONSENT_RECONCILER_WORKFLOW = 'consentReconciler';

/** One reconciler schedule per deployment (task queue), like the operator workflow. */
export const consentReconcilerScheduleId = (taskQueue: string): string => `inbox-agent:consent-reconciler:${taskQueue}`;

/**
 * How often paused schedules are looked at. A schedule paused for consent stays paused at most this
 * long after the user consented by a route that told nobody; each look costs one schedule listing
 * and, per schedule we paused, one connected-accounts call.
 */
export const RECONCILE_EVERY = '5 minutes';

/** What one reconciliation did, per user: the workflow's result, read in the Web UI. */
export interface ReconcileResult {
  /** Schedules paused by us for consent, on this task queue, that were looked at. */
  checked: number;
  unpaused: string[];
  /** Still paused, and why (connections still inactive, a sweep runs). */
  kept: Array<{ identifier: string; reason: string }>;
}

/**
 * Creates the reconciler's schedule if the deployment has none. Run by `setup` (the
 * `ensureProvisioned` activity), the deployment's one idempotent step that creates what the
 * deployment needs, rather than at every worker start: N workers would race to create it on each
 * restart, and every task queue a worker ever polled (tests, a blue/green switch) would keep a
 * schedule firing at a queue nobody serves. An existing schedule is left as the operator may have
 * tuned it (interval, pause).
 */
export async function ensureReconcilerSchedule(schedules: ScheduleClient, taskQueue: string): Promise<boolean> {
  const scheduleId = consentReconcilerScheduleId(taskQueue);
  try {
    await schedules.create({
      scheduleId,
      spec: { intervals: [{ every: RECONCILE_EVERY }] },
      action: {
        type: 'startWorkflow',
        workflowType: CONSENT_RECONCILER_WORKFLOW,
        taskQueue,
        workflowId: scheduleId,
        args: [],
        staticSummary: 'Unpause schedules paused for consent once the user has consented',
      },
      // A slow look is never queued behind another one.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: RECONCILE_EVERY },
      state: { note: 'created by inbox-agent setup' },
    });
    return true;
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return false;
    throw err;
  }
}
