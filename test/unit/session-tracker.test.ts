import { describe, expect, it } from 'vitest';
import { SessionTracker, type ToolJudge } from '../../activities/session-tracker.js';
import { markerFor } from '../../activities/sweep-task.js';
import { decideToolUse } from '../../activities/tool-policy.js';

const turn = [
  { id: 'e1', type: 'user.message', content: [{ type: 'text', text: 'go' }] },
  { id: 'e2', type: 'session.status_running' },
  { id: 'e3', type: 'span.model_request_start' },
  { id: 'e4', type: 'agent.mcp_tool_use', name: 'gmail_fetch_mails' },
  { id: 'e5', type: 'agent.mcp_tool_result' },
  { id: 'e6', type: 'agent.mcp_tool_use', name: 'googlecalendar_create_event' },
  {
    id: 'e7',
    type: 'agent.message',
    content: [
      { type: 'text', text: 'Done: ' },
      { type: 'text', text: 'event made.' },
    ],
  },
  { id: 'e8', type: 'span.model_request_end', model_usage: { input_tokens: 120, output_tokens: 45 } },
  { id: 'e9', type: 'session.status_idle', stop_reason: { type: 'end_turn' } },
];

describe('SessionTracker', () => {
  it('folds a turn into a summary', () => {
    const t = new SessionTracker('sesn_1');
    for (const e of turn) t.add(e);
    expect(t.done).toBe(true);
    expect(t.summary()).toEqual({
      sessionId: 'sesn_1',
      stopReason: 'end_turn',
      toolCalls: ['gmail_fetch_mails', 'googlecalendar_create_event'],
      finalMessage: 'Done: event made.',
      usage: { inputTokens: 120, outputTokens: 45 },
      toolErrors: 0,
      reportedNoAction: [],
      toolDecisions: [],
      allowedEvents: [],
    });
  });

  it('counts an event seen twice (history, then live stream) once', () => {
    const t = new SessionTracker('sesn_1');
    for (const e of turn.slice(0, 6)) t.add(e);
    for (const e of turn) t.add(e);
    expect(t.eventsSeen).toBe(turn.length);
    expect(t.summary().toolCalls).toHaveLength(2);
    expect(t.summary().usage.inputTokens).toBe(120);
  });

  it('ignores previews without ids, the idle before our message, and idles that wait on us', () => {
    const t = new SessionTracker('sesn_1');
    expect(t.add({ type: 'event_delta' })).toBe(false);
    t.add({ id: 'x0', type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(t.done).toBe(false);
    t.add({ id: 'x1', type: 'user.message' });
    t.add({ id: 'x2', type: 'session.status_idle', stop_reason: { type: 'requires_action' } });
    expect(t.done).toBe(false);
    t.add({ id: 'x3', type: 'session.status_terminated' });
    expect(t.summary().stopReason).toBe('terminated');
  });

  it('keeps the error a session reports', () => {
    const t = new SessionTracker('sesn_1');
    t.add({ id: 'a', type: 'user.message' });
    t.add({ id: 'b', type: 'session.error', error: { type: 'mcp_authentication_failed_error', message: '401' } });
    t.add({ id: 'c', type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(t.summary().error).toEqual({ type: 'mcp_authentication_failed_error', message: '401' });
  });
});

describe('SessionTracker with the tool policy: turns and confirmations', () => {
  const batch = [
    { id: 'm1', subject: 'One' },
    { id: 'm2', subject: 'Two' },
  ];
  const now = new Date('2026-01-01T10:00:00Z');
  const judge: ToolJudge = (use, turn, booked) =>
    decideToolUse(use, { batch, messageId: batch[turn]!.id, booked, now });
  const create = (id: string, messageId: string, title: string) => ({
    id,
    type: 'agent.mcp_tool_use',
    name: 'googlecalendar_create_event',
    evaluated_permission: 'ask',
    input: {
      summary: `Action Required: ${title}`,
      description: `Summary.\n\n${markerFor(messageId)}`,
      start_datetime: '2026-01-01T11:00:00Z',
    },
  });
  const held = (id: string, ids: string[]) => ({
    id,
    type: 'session.status_idle',
    stop_reason: { type: 'requires_action', event_ids: ids },
  });
  const ended = (id: string) => ({ id, type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
  const result = (id: string, useId: string, text: string, isError = false) => ({
    id,
    type: 'agent.mcp_tool_result',
    mcp_tool_use_id: useId,
    content: [{ type: 'text', text }],
    is_error: isError,
  });
  const history = [
    { id: 'u1', type: 'user.message' },
    { id: 'r1', type: 'session.status_running' },
    create('c1', 'm2', 'Two'), // turn 0 is about m1: an event for m2 is refused
    held('h1', ['c1']),
    { id: 'k1', type: 'user.tool_confirmation', tool_use_id: 'c1', result: 'deny' },
    result('x1', 'c1', 'denied', true),
    create('c2', 'm1', 'One'),
    held('h2', ['c2']),
    { id: 'k2', type: 'user.tool_confirmation', tool_use_id: 'c2', result: 'allow' },
    result('x2', 'c2', '{"id":"evt1"}'),
    create('c3', 'm1', 'One'), // a second one for m1
    held('h3', ['c3']),
  ];

  it('judges each held call for the turn’s message, once per message, and a denial is no tool error', () => {
    const t = new SessionTracker('s', 2, judge);
    for (const e of history) t.add(e);
    expect(t.pendingConfirmations()).toEqual([
      {
        toolUseId: 'c3',
        decision: expect.objectContaining({ decision: 'deny', reason: 'second event for the message' }),
      },
    ]);
    t.markAnswered('c3');
    expect(t.pendingConfirmations()).toEqual([]);
    t.add(result('x3', 'c3', 'denied', true));
    t.add(ended('i1'));
    expect(t.nextTurn).toBe(1);
    const summary = t.summary();
    expect(summary.toolErrors).toBe(0);
    expect(summary.toolDecisions.map((d) => [d.decision, d.reason])).toEqual([
      ['deny', 'event for another message'],
      ['allow', 'the message’s reminder'],
      ['deny', 'second event for the message'],
    ]);
    expect(summary.allowedEvents).toEqual([{ messageId: 'm1', toolUseId: 'c2', eventId: 'evt1' }]);
  });

  it('a creation that failed still counts: its error may follow a booking, so a second one is refused', () => {
    const t = new SessionTracker('s', 2, judge);
    for (const e of [
      { id: 'u1', type: 'user.message' },
      create('c1', 'm1', 'One'),
      held('h1', ['c1']),
      { id: 'k1', type: 'user.tool_confirmation', tool_use_id: 'c1', result: 'allow' },
      result('x1', 'c1', 'upstream timed out', true),
      create('c2', 'm1', 'One'),
      held('h2', ['c2']),
    ]) {
      t.add(e);
    }
    expect(t.pendingConfirmations()).toEqual([
      {
        toolUseId: 'c2',
        decision: expect.objectContaining({ decision: 'deny', reason: 'second event for the message' }),
      },
    ]);
    // The recording finds the event by its marker if the failed call did book it.
    expect(t.summary().allowedEvents).toEqual([{ messageId: 'm1', toolUseId: 'c1', eventId: undefined }]);
  });

  it('a re-attached attempt replaying the history reaches the same decisions and re-sends nothing answered', () => {
    const first = new SessionTracker('s', 2, judge);
    const again = new SessionTracker('s', 2, judge);
    for (const e of history) first.add(e);
    // The retry knows from its heartbeat that one turn was sent; the history shows what was answered.
    again.markMessageSent(1);
    for (const e of history) again.add(e);
    expect(again.summary().toolDecisions).toEqual(first.summary().toolDecisions);
    expect(again.pendingConfirmations().map((p) => p.toolUseId)).toEqual(['c3']);
    expect(again.nextTurn).toBeUndefined();
  });

  it('the second turn is about the second message; the session ends after the last turn', () => {
    const t = new SessionTracker('s', 2, judge);
    for (const e of [{ id: 'u1', type: 'user.message' }, ended('i1'), { id: 'u2', type: 'user.message' }]) t.add(e);
    t.add(create('c9', 'm2', 'Two'));
    expect(t.judgedUses()[0]!.decision).toMatchObject({ decision: 'allow', messageId: 'm2' });
    t.add(ended('i2'));
    expect(t.done).toBe(true);
  });
});
