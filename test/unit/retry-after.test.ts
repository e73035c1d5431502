import { APIError } from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../activities/apis/retry-after.js';
import { classify } from '../../activities/failures.js';
import { SessionTracker } from '../../activities/session-tracker.js';
import { ErrorType } from '../../workflows/contract.js';

describe('retryAfterMs', () => {
  const h = (headers: Record<string, string>) => new Headers(headers);
  it('reads retry-after-ms first, as the Anthropic SDK does', () => {
    expect(retryAfterMs(h({ 'retry-after-ms': '1234', 'retry-after': '2' }))).toBe(1234);
  });
  it('reads retry-after in seconds, fractions included', () => {
    expect(retryAfterMs(h({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(h({ 'retry-after': '0.5' }))).toBe(500);
  });
  it('reads retry-after as an HTTP-date', () => {
    const at = new Date(Date.now() + 10_000).toUTCString();
    const ms = retryAfterMs(h({ 'retry-after': at }))!;
    expect(ms).toBeGreaterThan(8_000);
    expect(ms).toBeLessThanOrEqual(10_000);
  });
  it('ignores what says nothing: absent, garbage, zero, a date in the past', () => {
    expect(retryAfterMs(h({}))).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after-ms': '0', 'retry-after': '0' }))).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after': new Date(Date.now() - 5_000).toUTCString() }))).toBeUndefined();
    expect(retryAfterMs(h({ 'retry-after-ms': 'x', 'retry-after': '2' }))).toBe(2000);
  });
});

describe('classify, for headers and streams', () => {
  it('gives a 429 and a 503 the delay the service asked for', () => {
    const err = (status: number) =>
      APIError.generate(status, { error: { type: 'x' } }, 'm', new Headers({ 'retry-after-ms': '1500' }));
    for (const status of [429, 503]) {
      const failure = classify(err(status)) as ApplicationFailure;
      expect(failure.nonRetryable).toBe(false);
      expect(failure.nextRetryDelay).toBe(1500);
    }
  });
  it('makes an event: error frame a retryable SessionStreamFailed', () => {
    const frame = new APIError(
      undefined,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      undefined,
      new Headers(),
    );
    const failure = classify(frame) as ApplicationFailure;
    expect(failure.type).toBe(ErrorType.SessionStreamFailed);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(/overloaded_error/);
  });
});

describe('SessionTracker and retry statuses', () => {
  const start = (t: SessionTracker) => {
    t.add({ id: 'm', type: 'user.message' });
    t.add({ id: 'r', type: 'session.status_running' });
  };
  const error = (id: string, retryStatus: string) => ({
    id,
    type: 'session.error',
    error: { type: 'model_overloaded_error', message: 'busy', retry_status: { type: retryStatus } },
  });

  it('a retrying error is no failure: the turn goes on to end_turn', () => {
    const t = new SessionTracker('s');
    start(t);
    t.add(error('e', 'retrying'));
    expect(t.done).toBe(false);
    t.add({ id: 'i', type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(t.summary()).toMatchObject({ stopReason: 'end_turn' });
    expect(t.summary().error).toBeUndefined();
  });
  it('an exhausted one fails with retries_exhausted; a terminal one as terminated', () => {
    const exhausted = new SessionTracker('s');
    start(exhausted);
    exhausted.add(error('e', 'exhausted'));
    exhausted.add({ id: 'i', type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' } });
    expect(exhausted.summary()).toMatchObject({
      stopReason: 'retries_exhausted',
      error: { type: 'model_overloaded_error' },
    });
    const terminal = new SessionTracker('s');
    start(terminal);
    terminal.add(error('e', 'terminal'));
    terminal.add({ id: 't', type: 'session.status_terminated' });
    expect(terminal.summary()).toMatchObject({ stopReason: 'terminated', error: { type: 'model_overloaded_error' } });
  });
  it('an unfinished stop without an error in view still reports one, under the stop reason', () => {
    const t = new SessionTracker('s');
    start(t);
    t.add({ id: 'i', type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' } });
    expect(t.summary().error).toMatchObject({ type: 'retries_exhausted' });
  });
  it('a running session proves our task arrived, though its echo was missed', () => {
    const t = new SessionTracker('s');
    t.add({ id: 'r', type: 'session.status_running' });
    expect(t.messageSent).toBe(true);
    t.add({ id: 'i', type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(t.done).toBe(true);
  });
});
