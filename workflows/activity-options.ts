import type { Duration } from '@temporalio/common';
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from './contract.js';

/**
 * Quick API calls (connections, token, vault, provisioning): seconds each, retried with backoff for up
 * to ten minutes. Bounded by time, not by a count of attempts: an activity such as the vault upsert
 * makes several calls that must all succeed in one attempt, and eight attempts ran out under the
 * fault suite's 20% error rate (one sweep in thirty); an outage longer than the bound fails the sweep,
 * and the user's next scheduled sweep picks the mail up.
 */
export const apiCall: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  },
};

/**
 * The same quick API calls run as local activities (the sweep's short steps: check, mint, read,
 * vault, confirm, archive, and a ticket's start of the sweep). The worker that runs the workflow task
 * runs them and records each result as a marker in that task's completion: no activity task to
 * schedule, dispatch and complete, so about four history events fewer each, and Temporal Cloud bills
 * all the local activities of one workflow task as one action (docs: "Temporal Cloud Actions", Local
 * Activity started). An idle sweep's check, mint and read are then one action, not three. The same
 * retry policy and bound as `apiCall`: Temporal still owns the retries (a backoff past
 * `localRetryThreshold` becomes a timer), failures keep their types, and a call longer than 80% of
 * the workflow task timeout extends the task (one more task: only the slow case pays it). What local
 * activities give up (no heartbeats, no rate limit per task queue, run where the workflow runs) does
 * not matter for calls of a few hundred milliseconds; the agent session stays a normal activity. One
 * thing shows: a query (`status`) waits while the task is open, i.e. until the call ends, or at most
 * until the task's next heartbeat (80% of its 10 s timeout) while a failing call retries.
 */
export const localApiCall: LocalActivityOptions = {
  startToCloseTimeout: apiCall.startToCloseTimeout,
  scheduleToCloseTimeout: apiCall.scheduleToCloseTimeout,
  retry: apiCall.retry,
};

/**
 * One agent session. `bound` is the session's whole life, every attempt and backoff included
 * (`scheduleToCloseTimeout`): a retry re-attaches to the same session rather than starting a new
 * one, and never gets a fresh full bound, so the session cannot outlive the token it carries (the
 * workflow passes no more than the token's remaining life). Heartbeating so a dead worker is noticed
 * in seconds; the heartbeat is also how `status` sees progress, as fresh as the heartbeat throttle
 * (0.8 of the timeout) lets it be.
 */
export function agentSession(bound: Duration, activityId: string): ActivityOptions {
  return {
    activityId,
    scheduleToCloseTimeout: bound,
    startToCloseTimeout: bound,
    heartbeatTimeout: '10 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      // The bound above is what limits a session; attempts are cheap (each re-attaches, none starts a
      // second session) and each needs several calls to succeed at once (events, stream, send), so a
      // flaky API used up five of them: the fault suite's 20% error rate failed one sweep in ten.
      maximumAttempts: 20,
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
  };
}

/**
 * A reminder to the user (webhook or log) while the sweep waits: retried for up to ten minutes while
 * the receiver is down, every attempt and backoff included (the receiver's `Retry-After` is capped
 * in activities/notify.ts and never outlasts this bound: Temporal fails an activity whose next
 * attempt would start after it). The sweep never fails for a reminder that could not be delivered.
 */
export const notification: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  },
};

/**
 * The last notice (`gave_up`), sent when the wait is over and awaited before the sweep ends: bounded
 * to half a minute in all, so a slow or throttling receiver cannot keep a sweep running past its
 * deadline by more than that.
 */
export const finalNotification: ActivityOptions = {
  ...notification,
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '30 seconds',
};
