import { z } from 'zod';

/**
 * `session.error` faults, injected per session (or for every session) through the control plane.
 * The three `retry_status` values behave as the SDK's types document them
 * (@anthropic-ai/sdk 1.14 `resources/beta/sessions/events.ts`):
 * - `retrying`: "The server is retrying automatically. Client should wait"; the turn goes on.
 * - `exhausted`: "This turn is dead; queued inputs are flushed and the session returns to idle",
 *   with `stop_reason: retries_exhausted`.
 * - `terminal`: "The session encountered a terminal error and will transition to `terminated` state".
 */
export const sessionErrorRuleSchema = z.object({
  /** The session to hit; absent hits every session, including ones created later. */
  sessionId: z.string().min(1).optional(),
  retryStatus: z.enum(['retrying', 'exhausted', 'terminal']),
  /** `error.type`; by default one the SDK documents for that status. */
  errorType: z.string().min(1).optional(),
  message: z.string().optional(),
  /** How many turns it hits, then it retires. */
  times: z.number().int().positive().default(1),
});
export type SessionErrorRuleInput = z.input<typeof sessionErrorRuleSchema>;
export type RetryStatus = z.output<typeof sessionErrorRuleSchema>['retryStatus'];

export interface SessionErrorFault {
  retryStatus: RetryStatus;
  error: { type: string; message: string; retry_status: { type: RetryStatus } };
}

/** The overload error is "emitted after automatic retries are exhausted"; billing is one no retry fixes. */
const DEFAULT_TYPE: Record<RetryStatus, string> = {
  retrying: 'model_overloaded_error',
  exhausted: 'model_overloaded_error',
  terminal: 'billing_error',
};

export class SessionFaults {
  private rules: Array<z.output<typeof sessionErrorRuleSchema> & { hits: number }> = [];

  inject(rule: SessionErrorRuleInput): void {
    this.rules.push({ ...sessionErrorRuleSchema.parse(rule), hits: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The errors the next turn of `sessionId` meets, in the order they were injected. */
  take(sessionId: string): SessionErrorFault[] {
    const hit = this.rules.filter((r) => r.sessionId === undefined || r.sessionId === sessionId);
    for (const rule of hit) rule.hits += 1;
    this.rules = this.rules.filter((r) => r.hits < r.times);
    return hit.map((r) => ({
      retryStatus: r.retryStatus,
      error: {
        type: r.errorType ?? DEFAULT_TYPE[r.retryStatus],
        message: r.message ?? `injected ${r.retryStatus} session error`,
        retry_status: { type: r.retryStatus },
      },
    }));
  }
}
