import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CalendarEvent } from '../state.js';
import { defineTool, ToolError, type ToolContext } from './define.js';

const eventFields = {
  description: z.string().optional(),
  location: z.string().optional(),
  timezone: z.string().optional().describe('IANA time zone for date-times given without an offset'),
  event_duration_hour: z.number().int().min(0).optional(),
  event_duration_minutes: z.number().int().min(0).optional(),
  attendees_emails: z.array(z.string()).optional(),
  send_updates: z.boolean().optional(),
  create_meeting_room: z.boolean().optional(),
  recurrence: z.array(z.string()).optional(),
  visibility: z.string().optional(),
};

/** Google Calendar's event resource, as `toResource` writes it. */
const eventOutput = z.looseObject({
  kind: z.string(),
  id: z.string(),
  status: z.string(),
  htmlLink: z.string(),
  summary: z.string(),
  description: z.string().optional(),
  start: z.looseObject({ dateTime: z.string() }),
  end: z.looseObject({ dateTime: z.string() }),
});

export const listCalendars = defineTool({
  name: 'googlecalendar_list_calendars',
  connection: 'googlecalendar',
  description: "List the calendars on the user's calendar list.",
  input: {
    max_results: z.number().int().min(1).optional(),
    page_token: z.string().optional(),
    min_access_role: z.string().optional(),
    show_hidden: z.boolean().optional(),
  },
  output: z.looseObject({
    kind: z.string(),
    items: z.array(z.looseObject({ id: z.string(), summary: z.string(), primary: z.boolean().optional() })),
  }),
  run: (_args, ctx) => ({
    kind: 'calendar#calendarList',
    items: [
      {
        kind: 'calendar#calendarListEntry',
        id: ctx.identifier,
        summary: ctx.identifier,
        primary: true,
        accessRole: 'owner',
        timeZone: 'UTC',
      },
    ],
  }),
});

export const listEvents = defineTool({
  name: 'googlecalendar_list_events',
  connection: 'googlecalendar',
  description: 'List events of a calendar, ordered by start time.',
  input: {
    calendar_id: z.string().optional().describe("Calendar id, default 'primary'"),
    time_min: z.string().optional().describe('RFC 3339; only events ending after it'),
    time_max: z.string().optional().describe('RFC 3339; only events starting before it'),
    max_results: z.number().int().min(1).optional(),
    order_by: z.string().optional(),
    page_token: z.string().optional(),
    query: z.string().optional(),
    single_events: z.boolean().optional(),
  },
  output: z.looseObject({ kind: z.string(), items: z.array(eventOutput), nextPageToken: z.string().optional() }),
  run(args, ctx) {
    const calendarId = calendarOf(ctx, args.calendar_id);
    const min = args.time_min === undefined ? -Infinity : parseTime(args.time_min).getTime();
    const max = args.time_max === undefined ? Infinity : parseTime(args.time_max).getTime();
    const query = args.query?.toLowerCase();
    const matches = ctx.state
      .calendar(ctx.identifier)
      .filter((e) => e.calendarId === calendarId && Date.parse(e.end) > min && Date.parse(e.start) < max)
      .filter((e) => !query || `${e.summary} ${e.description ?? ''} ${e.location ?? ''}`.toLowerCase().includes(query))
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const offset = Number(args.page_token ?? 0) || 0;
    const end = offset + (args.max_results ?? 250);
    return {
      kind: 'calendar#events',
      items: matches.slice(offset, end).map((e) => toResource(e, ctx)),
      ...(end < matches.length && { nextPageToken: String(end) }),
    };
  },
});

export const getEventById = defineTool({
  name: 'googlecalendar_get_event_by_id',
  connection: 'googlecalendar',
  description: 'Get one event by id.',
  input: {
    event_id: z.string(),
    calendar_id: z.string().optional(),
    query: z.string().optional(),
    single_events: z.boolean().optional(),
    time_min: z.string().optional(),
    time_max: z.string().optional(),
  },
  output: eventOutput,
  run: (args, ctx) => toResource(findEvent(ctx, args.calendar_id, args.event_id), ctx),
});

export const createEvent = defineTool({
  name: 'googlecalendar_create_event',
  connection: 'googlecalendar',
  description: 'Create an event. Its length is event_duration_hour/minutes (default 30 minutes).',
  input: {
    summary: z.string().min(1),
    start_datetime: z.string().describe('RFC 3339, e.g. 2025-01-31T10:00:00Z'),
    calendar_id: z.string().optional(),
    ...eventFields,
  },
  output: eventOutput,
  run(args, ctx) {
    const start = parseTime(args.start_datetime, args.timezone);
    const now = new Date(ctx.now()).toISOString();
    const event: CalendarEvent = {
      id: randomBytes(13).toString('hex'),
      calendarId: calendarOf(ctx, args.calendar_id),
      summary: args.summary,
      description: args.description,
      location: args.location,
      start: rfc3339(start),
      end: rfc3339(addMinutes(start, durationMinutes(args) ?? 30)),
      timeZone: args.timezone,
      attendees: args.attendees_emails ?? [],
      status: 'confirmed',
      created: now,
      updated: now,
    };
    ctx.state.calendar(ctx.identifier).push(event);
    return toResource(event, ctx);
  },
});

export const updateEvent = defineTool({
  name: 'googlecalendar_update_event',
  connection: 'googlecalendar',
  description: 'Update an event; only the fields given change. A new start keeps the length unless an end is given.',
  input: {
    calendar_id: z.string(),
    event_id: z.string(),
    summary: z.string().optional(),
    start_datetime: z.string().optional(),
    end_datetime: z.string().optional(),
    ...eventFields,
  },
  output: eventOutput,
  run(args, ctx) {
    const event = findEvent(ctx, args.calendar_id, args.event_id);
    const oldStart = parseTime(event.start);
    const start = args.start_datetime === undefined ? oldStart : parseTime(args.start_datetime, args.timezone);
    const length = durationMinutes(args) ?? (parseTime(event.end).getTime() - oldStart.getTime()) / 60_000;
    const end =
      args.end_datetime === undefined ? addMinutes(start, length) : parseTime(args.end_datetime, args.timezone);
    if (end <= start) throw new ToolError('the event must end after it starts');
    Object.assign(event, {
      summary: args.summary ?? event.summary,
      description: args.description ?? event.description,
      location: args.location ?? event.location,
      timeZone: args.timezone ?? event.timeZone,
      attendees: args.attendees_emails ?? event.attendees,
      start: rfc3339(start),
      end: rfc3339(end),
      updated: new Date(ctx.now()).toISOString(),
    });
    return toResource(event, ctx);
  },
});

/** Each user has one calendar, reachable as 'primary' or by the user's own id, as in Google Calendar. */
function calendarOf(ctx: ToolContext, calendarId = 'primary'): string {
  if (calendarId === 'primary' || calendarId === ctx.identifier) return 'primary';
  throw new ToolError(`calendar ${calendarId} not found (404)`);
}

function findEvent(ctx: ToolContext, calendarId: string | undefined, eventId: string): CalendarEvent {
  const calendar = calendarOf(ctx, calendarId);
  const event = ctx.state.calendar(ctx.identifier).find((e) => e.id === eventId && e.calendarId === calendar);
  if (!event) throw new ToolError(`event ${eventId} not found (404)`);
  return event;
}

function durationMinutes(args: { event_duration_hour?: number; event_duration_minutes?: number }): number | undefined {
  if (args.event_duration_hour === undefined && args.event_duration_minutes === undefined) return undefined;
  return (args.event_duration_hour ?? 0) * 60 + (args.event_duration_minutes ?? 0);
}

/** Google Calendar's event resource. */
function toResource(e: CalendarEvent, ctx: ToolContext): object {
  const eid = Buffer.from(`${e.id} ${ctx.identifier}`).toString('base64url');
  return {
    kind: 'calendar#event',
    id: e.id,
    status: e.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${eid}`,
    created: e.created,
    updated: e.updated,
    summary: e.summary,
    description: e.description,
    location: e.location,
    creator: { email: ctx.identifier, self: true },
    organizer: { email: ctx.identifier, self: true },
    start: { dateTime: e.start, timeZone: e.timeZone },
    end: { dateTime: e.end, timeZone: e.timeZone },
    attendees: e.attendees.map((email) => ({ email, responseStatus: 'needsAction' })),
    iCalUID: `${e.id}@google.com`,
  };
}

/** RFC 3339; a date-time without an offset is read in `timeZone` (UTC if none). */
function parseTime(text: string, timeZone?: string): Date {
  const hasOffset = /(Z|[+-]\d\d:?\d\d)$/i.test(text);
  const asUtc = new Date(hasOffset ? text : `${text}Z`);
  if (Number.isNaN(asUtc.getTime())) throw new ToolError(`invalid date-time: ${text}`);
  return hasOffset || !timeZone ? asUtc : new Date(asUtc.getTime() - zoneOffsetMs(asUtc, timeZone));
}

function zoneOffsetMs(instant: Date, timeZone: string): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(instant);
  } catch {
    throw new ToolError(`unknown time zone: ${timeZone}`);
  }
  const part = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - instant.getTime();
}

const addMinutes = (date: Date, minutes: number): Date => new Date(date.getTime() + minutes * 60_000);
const rfc3339 = (date: Date): string => date.toISOString().replace(/\.000Z$/, 'Z');
