import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { metricNames, sweepsQuery } from '../workflows/contract.js';

/**
 * The gauge of users waiting for re-authorization, refreshed from visibility: running sweeps on this
 * task queue whose phase search attribute says `awaiting_reauthorization` (one sweep per user, so
 * sweeps are users). Counted rather than kept as an up/down count by the workflows: a workflow's
 * metrics are not emitted on replay and each process's counters start at zero, so +1 on one worker
 * and -1 on another (or none, when a worker dies) would drift; visibility is the truth for every
 * worker at once. Each worker reports the same number, so alert on `max`, not `sum`.
 * Returns the function that stops the refreshing.
 */
export function watchReauthorizationWaits(client: Client, taskQueue: string, intervalMs = 30_000): () => void {
  const gauge = Runtime.instance().metricMeter.createGauge(
    metricNames.usersAwaitingReauthorization,
    'int',
    'users',
    'Users whose sweep waits for re-authorization',
  );
  const query = sweepsQuery({ running: true, taskQueue, phase: 'awaiting_reauthorization' });
  let stopped = false;
  const refresh = async () => {
    try {
      const { count } = await client.workflow.count(query);
      if (!stopped) gauge.set(count, { taskQueue });
    } catch (err) {
      // A visibility hiccup keeps the last value; the next refresh tries again.
      Runtime.instance().logger.warn('could not count sweeps awaiting re-authorization', { error: String(err) });
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
