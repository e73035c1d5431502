import { eventTitle } from '../common/subject.js';
import { PROPOSED_DENY_MESSAGE } from './approvals.js';
import { batchQuery, markerFor, MESSAGE_MARKER, type TaskEmail } from './sweep-task.js';
import { DOCUMENTED_NAMES, TOOL_BASES, type ToolNames } from './tool-catalog.js';

/**
 * The tool policy: what the worker lets the agent do with the user's mailbox and calendar, derived
 * only from the batch the worker handed out and the message the current turn is about. The agent
 * reads mail anyone can write, so every call it makes is judged here before it runs (the agent's
 * tools are `always_ask`, see definitions.ts), not by what the model says it is doing.
 *
 * Pure: the same tool use, batch, turn and earlier decisions give the same decision, so an activity
 * attempt that re-attaches to a session recomputes exactly the decisions an earlier attempt sent.
 */

/** What the session's event says the agent wants to run. */
export interface ToolUse {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export type ToolDecisionKind = 'allow' | 'deny' | 'propose';

/** One decision as reported (summary, sweep report, status, metrics): no mail text, ever. */
export interface ToolDecision {
  tool: string;
  decision: ToolDecisionKind;
  /** Short and fixed per rule: it lands in workflow history, so it never quotes the input. */
  reason: string;
  /** The batch message the call was judged for (the turn's message). */
  messageId?: string;
}

/** A decision plus what the agent is told when it is denied. */
export interface GateDecision extends ToolDecision {
  denyMessage?: string;
}

export interface PolicyContext {
  /** The batch the worker handed out (ids and subjects, opened inside the activity only). */
  batch: readonly TaskEmail[];
  /** The message the current turn is about. */
  messageId: string;
  /** Batch messages whose event creation was already allowed (or proposed) and did not fail. */
  booked: ReadonlySet<string>;
  /** For the start window. */
  now: Date;
  /** The user's approval mode: in `ask`, an allowed creation becomes a proposal (issue 22 part 3). */
  approval?: 'auto' | 'ask';
  /** The tools' names on the MCP server, maybe prefixed (default: the documented, plain names). */
  tools?: ToolNames;
}

/** Enough for any mailbox the worker itself scans (mailbox.ts reads at most 500 unread). */
export const MAX_FETCH_RESULTS = 500;
export const MAX_LOOKUP_RESULTS = 50;
/** A reminder is for the near future: not in the past (beyond clock skew), not months ahead. */
export const START_WINDOW = { pastMs: 60 * 60_000, futureMs: 14 * 24 * 60 * 60_000 };
export const MAX_EVENT_MINUTES = 8 * 60;
export const MAX_DESCRIPTION_CHARS = 4000;

/** Scalekit's tool inputs (shared/specs/scalekit-api.md §4) that a sweep's calls may carry. */
const VERSION_FIELDS = ['schema_version', 'tool_version'];
const FETCH_FIELDS = new Set(['query', 'max_results', 'format', 'page_token', ...VERSION_FIELDS]);
const LOOKUP_FIELDS = new Set(['query', 'max_results', 'calendar_id', 'single_events', 'order_by', ...VERSION_FIELDS]);
const CREATE_FIELDS = new Set([
  'summary',
  'description',
  'start_datetime',
  'timezone',
  'event_duration_hour',
  'event_duration_minutes',
  'calendar_id',
  ...VERSION_FIELDS,
]);

const allow = (tool: string, reason: string, messageId?: string): GateDecision => ({
  tool,
  decision: 'allow',
  reason,
  ...(messageId ? { messageId } : {}),
});
const deny = (tool: string, reason: string, denyMessage: string, messageId?: string): GateDecision => ({
  tool,
  decision: 'deny',
  reason,
  denyMessage: `Denied by the inbox-agent tool policy: ${denyMessage}`,
  ...(messageId ? { messageId } : {}),
});

const extraFields = (input: Record<string, unknown>, allowed: Set<string>): string[] =>
  Object.keys(input)
    .filter((k) => !allowed.has(k) && input[k] !== undefined && input[k] !== null)
    .sort();

const primaryCalendar = (input: Record<string, unknown>) =>
  input.calendar_id === undefined || input.calendar_id === 'primary';

export function decideToolUse(use: ToolUse, ctx: PolicyContext): GateDecision {
  // By exact name, as the server serves it (learned from tools/list, tool-catalog.ts): a look-alike
  // such as `other_gmail_fetch_mails` is not our tool, whatever it ends with.
  const tools = ctx.tools ?? DOCUMENTED_NAMES;
  const base = TOOL_BASES.find((b) => tools[b] === use.name);
  switch (base) {
    case 'gmail_fetch_mails':
      return decideFetch(use, ctx);
    case 'googlecalendar_list_events':
      return decideLookup(use, ctx);
    case 'googlecalendar_create_event':
      return decideCreate(use, ctx);
    default:
      return deny(use.name, 'tool not in the policy', 'a sweep only reads unread mail and books reminders.');
  }
}

/**
 * Gmail has no search by message id, so reading "the batch" means the query the worker's task names
 * (`batchQuery`: unread mail within the time span of the turn's message, or of the whole batch),
 * bounded. Any other query (`reset`, `from:bank`) reads mail the task never handed out.
 */
function decideFetch({ name, input }: ToolUse, ctx: PolicyContext): GateDecision {
  const extra = extraFields(input, FETCH_FIELDS);
  if (extra.length > 0) {
    return deny(name, `fields not allowed: ${extra.join(', ')}`, 'use only the query the task names and max_results.');
  }
  const message = ctx.batch.find((m) => m.id === ctx.messageId);
  const allowed = [batchQuery(message ? [message] : []), batchQuery([...ctx.batch])];
  if (typeof input.query !== 'string' || !allowed.includes(input.query.trim())) {
    return deny(name, 'query outside the batch', `the only allowed query is "${allowed[0]}".`, ctx.messageId);
  }
  const max = input.max_results ?? MAX_FETCH_RESULTS;
  if (typeof max !== 'number' || max > MAX_FETCH_RESULTS) {
    return deny(name, 'max_results over the bound', `max_results must be at most ${MAX_FETCH_RESULTS}.`);
  }
  return allow(name, 'the batch query, bounded', ctx.messageId);
}

/** Only the marker lookup of a batch message: it tells the agent whether the event already exists. */
function decideLookup({ name, input }: ToolUse, ctx: PolicyContext): GateDecision {
  const extra = extraFields(input, LOOKUP_FIELDS);
  if (extra.length > 0 || !primaryCalendar(input)) {
    return deny(name, 'fields not allowed', `only look up the marker "${markerFor(ctx.messageId)}".`);
  }
  const target = ctx.batch.find((m) => input.query === markerFor(m.id));
  if (!target) {
    return deny(name, 'not a marker lookup of a batch message', `the query must be "${markerFor(ctx.messageId)}".`);
  }
  if (typeof input.max_results === 'number' && input.max_results > MAX_LOOKUP_RESULTS) {
    return deny(name, 'max_results over the bound', `max_results must be at most ${MAX_LOOKUP_RESULTS}.`);
  }
  return allow(name, 'marker lookup', target.id);
}

/**
 * One reminder for the turn's message, on the user's own calendar, shaped exactly as the task asks:
 * no attendees or updates (Google mails invitations, description included, to every attendee: an
 * exfiltration channel), no recurrence or meeting room, a start in a bounded window, the exact
 * title, and the message's marker as the description's own last line.
 */
function decideCreate({ name, input }: ToolUse, ctx: PolicyContext): GateDecision {
  const id = ctx.messageId;
  const message = ctx.batch.find((m) => m.id === id);
  if (!message) return deny(name, 'turn has no batch message', 'no event may be created in this turn.');
  const extra = extraFields(input, CREATE_FIELDS);
  if (extra.length > 0) {
    return deny(
      name,
      `fields not allowed: ${extra.join(', ')}`,
      `remove ${extra.join(', ')}: the reminder is for the user alone (summary, description, start and duration only).`,
      id,
    );
  }
  if (!primaryCalendar(input)) {
    return deny(name, 'not the primary calendar', 'create the event on the primary calendar.', id);
  }
  const description = typeof input.description === 'string' ? input.description : '';
  // Only the last line names the message (the worker verifies by it, mailbox.ts): a marker quoted
  // earlier in a summary is text, and refusing it would leave an honest email without its reminder.
  const last = description.trimEnd().split('\n').at(-1)?.trim() ?? '';
  if (last !== markerFor(id)) {
    const other = last.startsWith(MESSAGE_MARKER) && ctx.batch.find((m) => m.id !== id && last === markerFor(m.id));
    return other
      ? deny(name, 'event for another message', `this turn is about message ${id}; book nothing for ${other.id}.`, id)
      : deny(name, 'description without its marker line', `end the description with the line "${markerFor(id)}".`, id);
  }
  if (description.length > MAX_DESCRIPTION_CHARS) {
    return deny(name, 'description too long', `keep the description under ${MAX_DESCRIPTION_CHARS} characters.`, id);
  }
  const title = eventTitle(message.subject);
  if (input.summary !== title) {
    return deny(name, 'summary is not the message title', `the summary must be exactly ${JSON.stringify(title)}.`, id);
  }
  const start = typeof input.start_datetime === 'string' ? Date.parse(input.start_datetime) : NaN;
  const now = ctx.now.getTime();
  if (!(start >= now - START_WINDOW.pastMs && start <= now + START_WINDOW.futureMs)) {
    return deny(name, 'start outside the window', 'start the event within the next 14 days.', id);
  }
  const minutes = Number(input.event_duration_hour ?? 0) * 60 + Number(input.event_duration_minutes ?? 0);
  if (!(minutes >= 0 && minutes <= MAX_EVENT_MINUTES)) {
    return deny(name, 'duration out of bounds', `keep the event at most ${MAX_EVENT_MINUTES / 60} hours long.`, id);
  }
  if (ctx.booked.has(id)) {
    return deny(name, 'second event for the message', `message ${id} already has its event; create no other.`, id);
  }
  if (ctx.approval === 'ask') {
    // The call itself is denied; the workflow shows it to the user and books it if approved.
    return {
      tool: name,
      decision: 'propose',
      reason: 'awaits the user',
      messageId: id,
      denyMessage: PROPOSED_DENY_MESSAGE,
    };
  }
  return allow(name, 'the message’s reminder', id);
}
