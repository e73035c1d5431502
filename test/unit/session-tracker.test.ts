import { describe, expect, it } from 'vitest';
import { SessionTracker } from '../../activities/session-tracker.js';

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
