import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import { ErrorType, metricNames, type ErrorTypeName } from '../workflows/contract.js';
import { managedAgentsFailure } from './apis/managed-agents.js';
import { ScalekitApiError } from './apis/scalekit.js';

const byStatus: Record<number, ErrorTypeName> = {
  400: ErrorType.InvalidRequest,
  401: ErrorType.Unauthenticated,
  403: ErrorType.PermissionDenied,
  404: ErrorType.NotFound,
  422: ErrorType.InvalidRequest,
};

export function nonRetryable(type: ErrorTypeName, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, cause });
}

/**
 * Turns what the APIs throw into the failures Temporal's retry policy acts on: errors that a retry
 * cannot fix become non-retryable with a stable `type`; a 429 waits as long as the service asked;
 * everything else (5xx, network) stays retryable. Messages carry no request bodies, so no secrets.
 */
export function classify(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ZodError) {
    return nonRetryable(
      ErrorType.InvalidRequest,
      `unexpected response shape: ${err.issues[0]?.message ?? err.message}`,
    );
  }
  const agents = managedAgentsFailure(err);
  if (agents?.kind === 'stream') {
    // The stream said what went wrong and ended; a retry re-attaches to the session (runAgentSession).
    return ApplicationFailure.create({
      type: ErrorType.SessionStreamFailed,
      message: `the session's event stream failed with ${agents.errorType}: ${agents.message}`,
    });
  }
  const http = httpFacts(err);
  if (!http) return err;
  const type = byStatus[http.status];
  if (type) return nonRetryable(type, http.message);
  // Temporal waits exactly as long as the service asked, instead of its own backoff, when it asked.
  return ApplicationFailure.create({
    type: http.status === 429 ? 'RateLimited' : `Http${http.status}`,
    message: http.message,
    nextRetryDelay: http.retryAfterMs,
  });
}

export function httpFacts(err: unknown): { status: number; message: string; retryAfterMs?: number } | undefined {
  if (err instanceof ScalekitApiError) {
    return { status: err.status, message: err.message, retryAfterMs: err.retryAfterMs };
  }
  const agents = managedAgentsFailure(err);
  if (agents?.kind !== 'http') return undefined;
  return { status: agents.status, message: agents.message, retryAfterMs: agents.retryAfterMs };
}

/** Wraps every function of an activity object so its failures are classified. */
export function withClassifiedFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(fns: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(fns)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        const failure = classify(err);
        countFailure(failure);
        throw failure;
      }
    };
  }
  return wrapped as T;
}

/**
 * Every failed attempt by failure type, on the activity's meter (which tags namespace, taskQueue and
 * activityType). Unclassified errors count as their class name.
 */
function countFailure(failure: unknown): void {
  // Absent when a test calls the function directly, outside a worker.
  const ctx = asyncLocalStorage.getStore();
  if (!ctx) return;
  const type =
    failure instanceof ApplicationFailure ? (failure.type ?? 'Error') : ((failure as Error)?.name ?? 'Error');
  ctx.metricMeter
    .createCounter(metricNames.activityFailures, 'failures', 'Failed activity attempts by failure type')
    .add(1, { error_type: type });
}
