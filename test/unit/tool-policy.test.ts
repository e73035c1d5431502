import { describe, expect, it } from 'vitest';
import { batchQuery, markerFor, sweepTask } from '../../activities/sweep-task.js';
import { AGENT_MCP_TOOLS } from '../../activities/definitions.js';
import { decideToolUse, type PolicyContext } from '../../activities/tool-policy.js';

const now = new Date('2026-01-01T10:00:00Z');
const ctx: PolicyContext = {
  batch: [
    { id: 'm1', subject: 'Invoice\ndue' },
    { id: 'm2', subject: 'Other' },
  ],
  messageId: 'm1',
  booked: new Set(),
  now,
};
const use = (name: string, input: Record<string, unknown>) => ({ id: 'u', name, input });
const event = (changes: Record<string, unknown> = {}) =>
  use('googlecalendar_create_event', {
    summary: 'Action Required: Invoice due',
    description: `Pay the invoice.\n\n${markerFor('m1')}`,
    start_datetime: '2026-01-01T11:00:00Z',
    event_duration_minutes: 30,
    ...changes,
  });
const decide = (u: ReturnType<typeof use>, c: Partial<PolicyContext> = {}) => decideToolUse(u, { ...ctx, ...c });

describe('the tool policy', () => {
  it('fetch: only the query the task names (the turn’s message or the batch), bounded', () => {
    const dated = { ...ctx, batch: [{ id: 'm1', subject: 'x', receivedAt: 1_700_000_000_000 }] };
    const query = batchQuery(dated.batch);
    expect(query).toMatch(/^is:unread after:\d+ before:\d+$/);
    expect(decide(use('gmail_fetch_mails', { query, max_results: 500 }), dated).decision).toBe('allow');
    expect(decide(use('gmail_fetch_mails', { query: 'is:unread' }), dated).decision).toBe('deny');
    // Without receive times the task's query is the plain unread listing.
    expect(decide(use('gmail_fetch_mails', { query: 'is:unread', max_results: 500 })).decision).toBe('allow');
    expect(decide(use('gmail_fetch_mails', { query: 'reset' }))).toMatchObject({
      decision: 'deny',
      denyMessage: expect.stringContaining('is:unread'),
    });
    expect(decide(use('gmail_fetch_mails', { query: 'is:unread', max_results: 5000 })).decision).toBe('deny');
    expect(decide(use('gmail_fetch_mails', { query: 'is:unread', include_spam_trash: true })).decision).toBe('deny');
  });

  it('lookup: only the marker of a batch message', () => {
    expect(decide(use('googlecalendar_list_events', { query: markerFor('m2') })).decision).toBe('allow');
    expect(decide(use('googlecalendar_list_events', { query: 'password' })).decision).toBe('deny');
  });

  it('create: the turn’s message, exact cleaned title, own marker last, no attendees, bounded start', () => {
    expect(decide(event())).toMatchObject({ decision: 'allow', messageId: 'm1' });
    expect(decide(event({ attendees_emails: ['eve@outside.example'], send_updates: true }))).toMatchObject({
      decision: 'deny',
      reason: 'fields not allowed: attendees_emails, send_updates',
    });
    for (const field of ['recurrence', 'create_meeting_room', 'location']) {
      expect(decide(event({ [field]: field === 'recurrence' ? ['RRULE:FREQ=DAILY'] : true })).decision).toBe('deny');
    }
    expect(decide(event({ summary: 'Action Required: Invoice\ndue' })).decision).toBe('deny');
    expect(decide(event({ description: `${markerFor('m1')}\nmore` })).decision).toBe('deny');
    // A marker quoted in the summary is text; only the last line names the message.
    expect(decide(event({ description: `It quotes ${markerFor('m2')}.\n${markerFor('m1')}` })).decision).toBe('allow');
    expect(decide(event({ summary: 'Action Required: Other', description: `x\n${markerFor('m2')}` }))).toMatchObject({
      decision: 'deny',
      reason: 'event for another message',
    });
    expect(decide(event({ start_datetime: '2026-03-01T10:00:00Z' })).decision).toBe('deny');
    expect(decide(event({ start_datetime: '2025-12-31T10:00:00Z' })).decision).toBe('deny');
    expect(decide(event({ event_duration_hour: 48 })).decision).toBe('deny');
    expect(decide(event(), { booked: new Set(['m1']) })).toMatchObject({ reason: 'second event for the message' });
    expect(decide(event({ calendar_id: 'someone@else.example' })).decision).toBe('deny');
  });

  it('create in approval mode ask: a proposal, the agent told not to retry', () => {
    expect(decide(event(), { approval: 'ask' })).toMatchObject({
      decision: 'propose',
      messageId: 'm1',
      denyMessage: expect.stringContaining('do not retry'),
    });
  });

  it('any other tool is denied', () => {
    expect(decide(use('googlecalendar_update_event', {})).decision).toBe('deny');
  });

  it('tools go by the names the server serves (tools/list), exactly: prefixed ones when learned, no look-alikes', () => {
    const tools = {
      gmail_fetch_mails: 'scalekit_gmail_fetch_mails',
      googlecalendar_list_events: 'scalekit_googlecalendar_list_events',
      googlecalendar_create_event: 'scalekit_googlecalendar_create_event',
    };
    const read = (name: string) => use(name, { query: batchQuery([ctx.batch[0]!]), max_results: 10 });
    expect(decide(read('scalekit_gmail_fetch_mails'), { tools })).toMatchObject({
      decision: 'allow',
      tool: 'scalekit_gmail_fetch_mails',
    });
    expect(decide({ ...event(), name: 'scalekit_googlecalendar_create_event' }, { tools }).decision).toBe('allow');
    // A name that merely ends like ours is another tool; so is the plain name on a prefixing server.
    expect(decide(read('other_gmail_fetch_mails'), { tools }).decision).toBe('deny');
    expect(decide(read('gmail_fetch_mails'), { tools }).decision).toBe('deny');
    expect(decide(read('scalekit_gmail_fetch_mails')).decision).toBe('deny');
    // The task tells the agent the same names, of the tools it holds only.
    const task = sweepTask([ctx.batch[0]!], false, tools);
    for (const base of AGENT_MCP_TOOLS) expect(task).toContain(tools[base]);
    expect(task).not.toContain(tools.googlecalendar_list_events);
  });
});
