import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ReconcileResult } from '../consent/reconciler.js';
import { apiCall } from './activity-options.js';

const { reconcileConsentSchedules } = proxyActivities<Activities>({
  ...apiCall,
  // One listing plus a connected-accounts call per schedule we paused; heartbeats per schedule.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  summary: 'Unpause schedules paused for consent whose users have consented',
});

/**
 * Started by the deployment's reconciler schedule (consent/reconciler.ts, created by `setup`): one
 * activity does the look, so an idle tick costs one action and a handful of events.
 */
export async function consentReconciler(): Promise<ReconcileResult> {
  return reconcileConsentSchedules(workflowInfo().taskQueue);
}
