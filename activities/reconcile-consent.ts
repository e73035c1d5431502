import { Context } from '@temporalio/activity';
import type { ScheduleDescription } from '@temporalio/client';
import type { ReconcileResult } from '../consent/reconciler.js';
import { isOurConsentPause, resumeAfterConsent } from '../consent/schedules.js';
import { isValidIdentifier, searchAttributes, WorkflowType } from '../workflows/contract.js';
import type { ActivityDeps } from './deps.js';
import type { Provisioning } from './provisioning.js';

/**
 * The activity: every user schedule on this task queue that we paused for consent is unpaused once
 * all of the user's connections are ACTIVE and no sweep of theirs runs (a running sweep pauses and
 * unpauses its own schedule). This catches consent by any route: our callback while no sweep waited,
 * Scalekit's own pages, a waiting sweep that was terminated, a callback outage. Schedules paused by
 * anyone else (operators, `schedule --paused`) are never touched: their notes lack our prefix.
 */
export function createReconcileConsentSchedules(
  deps: Pick<ActivityDeps, 'schedules' | 'scalekit' | 'sweepRunning'>,
  provisioning: Pick<Provisioning, 'resolve'>,
) {
  return async function reconcileConsentSchedules(taskQueue: string): Promise<ReconcileResult> {
    const result: ReconcileResult = { checked: 0, unpaused: [], kept: [] };
    const { schedules } = deps;
    if (!schedules) return result;
    const failures: string[] = [];
    for await (const summary of schedules.list()) {
      if (summary.action?.workflowType !== WorkflowType.inboxSweep) continue;
      if (!summary.state.paused || !isOurConsentPause(summary.state.note)) continue;
      const identifier = summary.typedSearchAttributes?.get(searchAttributes.identifier);
      if (!identifier || !isValidIdentifier(identifier)) continue;
      heartbeat(identifier);
      let described: ScheduleDescription;
      try {
        described = await schedules.getHandle(summary.scheduleId).describe();
      } catch {
        continue; // deleted meanwhile
      }
      // Another deployment's schedule (its own task queue, perhaps its own Scalekit config) is its reconciler's.
      if (described.action.type !== 'startWorkflow' || described.action.taskQueue !== taskQueue) continue;
      result.checked += 1;
      try {
        const reason = await stillBlocked(identifier);
        if (reason) {
          result.kept.push({ identifier, reason });
          continue;
        }
        const note = `connections ACTIVE again, found by the consent reconciler at ${new Date().toISOString()}`;
        if (await resumeAfterConsent(schedules, identifier, note)) result.unpaused.push(identifier);
      } catch (err) {
        // One user's failure does not hold up the others; the activity fails at the end and is retried.
        failures.push(`${identifier}: ${(err as Error).message}`);
      }
    }
    if (failures.length) throw new Error(`could not reconcile ${failures.length} schedule(s): ${failures.join('; ')}`);
    return result;
  };

  async function stillBlocked(identifier: string): Promise<string | undefined> {
    if (await deps.sweepRunning?.(identifier)) return 'a sweep runs (it unpauses its schedule itself)';
    const { mcpConfigId } = await provisioning.resolve();
    const accounts = await deps.scalekit.listConfigAccounts(mcpConfigId, identifier, false);
    // Statuses are upper-cased by the wire schema.
    const inactive = accounts.filter((a) => a.connected_account_status !== 'ACTIVE').map((a) => a.connection_name);
    if (accounts.length === 0) return 'no connected accounts';
    return inactive.length ? `${inactive.join(', ')} not active` : undefined;
  }
}

function heartbeat(detail: string): void {
  try {
    Context.current().heartbeat(detail);
  } catch {
    // called outside an activity (unit tests)
  }
}
