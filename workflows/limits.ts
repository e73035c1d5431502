/**
 * The floors of a sweep's wait cadence and the history budget of one run. Workflow-safe.
 *
 * Tests shorten them (a wait that crosses the budget in seconds, reminders every second) without a
 * product setting anyone could turn down: the test harness alone defines `INBOX_AGENT_TEST_LIMITS`,
 * in its workflow bundle (webpack's DefinePlugin, test/helpers/temporal.ts) and as a global of its
 * own process (for the client's checks). The production bundle, `npm start` and every other process
 * have no such name, so they get `PRODUCT_LIMITS`.
 */
export interface Limits {
  /** `recheckEvery` at least this (ms): each re-check is a dozen history events and three API calls. */
  minRecheckEveryMs: number;
  /** `remindEvery` at least this (ms): each reminder is a Scalekit link call and a message to the user. */
  minRemindEveryMs: number;
  /**
   * A run that waits continues as new once its history holds this many events: far below Temporal's
   * 10,240-event warning and 51,200-event limit, and small enough that a replay stays quick.
   */
  historyEventBudget: number;
}

export const PRODUCT_LIMITS: Limits = {
  minRecheckEveryMs: 60_000,
  minRemindEveryMs: 10 * 60_000,
  historyEventBudget: 2_000,
};

declare const INBOX_AGENT_TEST_LIMITS: Partial<Limits> | undefined;

export function limits(): Limits {
  const test = typeof INBOX_AGENT_TEST_LIMITS === 'undefined' ? undefined : INBOX_AGENT_TEST_LIMITS;
  return { ...PRODUCT_LIMITS, ...test };
}
