import { z } from 'zod';
import { withMcp, type CallTool } from './apis/mcp.js';
import { markerFor } from './sweep-task.js';

/** Gmail `users.messages` as Scalekit's gmail_fetch_mails returns them; only what the worker reads. */
const messageList = z.object({
  messages: z
    .array(
      z.object({
        id: z.string(),
        internalDate: z.coerce.number().optional(),
        payload: z
          .object({ headers: z.array(z.object({ name: z.string(), value: z.string() })).optional() })
          .optional(),
      }),
    )
    .optional()
    .default([]),
  nextPageToken: z.string().optional(),
});

const eventList = z.object({
  items: z
    .array(z.object({ id: z.string(), description: z.string().optional().nullable() }))
    .optional()
    .default([]),
});

const createdEvent = z.object({ id: z.string() });

export interface UnreadMessage {
  id: string;
  subject: string;
  receivedAt: number;
}

/**
 * Gmail lists newest first and the worker never marks mail read, so handled mail stays in the unread
 * list: the scan must reach the oldest unread however many newer ones were handled already (a backlog
 * of 600 with 500 here skipped its oldest 100 for good). Beyond this, the oldest wait until mail is read.
 */
const MAX_UNREAD_SCANNED = 5_000;
const PAGE = 100;

/** The worker's own reads of the user's mailbox and calendar, through the Virtual MCP server. */
export class Mailbox {
  constructor(private readonly call: CallTool) {}

  static open<T>(url: string, token: string, fn: (mailbox: Mailbox) => Promise<T>): Promise<T> {
    return withMcp(url, token, (call) => fn(new Mailbox(call)));
  }

  /** Unread messages, oldest first. Asks for metadata only: the worker never needs bodies. */
  async unread(): Promise<UnreadMessage[]> {
    const found: UnreadMessage[] = [];
    let pageToken: string | undefined;
    do {
      const page = messageList.parse(
        await this.call('gmail_fetch_mails', {
          query: 'is:unread',
          max_results: PAGE,
          format: 'metadata',
          ...(pageToken ? { page_token: pageToken } : {}),
        }),
      );
      for (const m of page.messages) {
        const subject = m.payload?.headers?.find((h) => h.name.toLowerCase() === 'subject')?.value ?? '';
        found.push({ id: m.id, subject, receivedAt: m.internalDate ?? 0 });
      }
      pageToken = page.nextPageToken;
    } while (pageToken && found.length < MAX_UNREAD_SCANNED);
    return found.sort((a, b) => a.receivedAt - b.receivedAt || a.id.localeCompare(b.id));
  }

  /** The event carrying the message's marker line, if the calendar has one. */
  async eventFor(messageId: string): Promise<string | undefined> {
    const marker = markerFor(messageId);
    const listing = eventList.parse(await this.call('googlecalendar_list_events', { query: marker, max_results: 10 }));
    return listing.items.find((e) => (e.description ?? '').includes(marker))?.id;
  }

  /** Books an event exactly as given (an approved proposal): no attendees, no invitations. */
  async createEvent(event: { title: string; start: string; end: string; description: string }): Promise<string> {
    const minutes = Math.max(1, Math.round((Date.parse(event.end) - Date.parse(event.start)) / 60_000));
    const created = await this.call('googlecalendar_create_event', {
      summary: event.title,
      start_datetime: event.start,
      event_duration_minutes: minutes,
      description: event.description,
    });
    return createdEvent.parse(created).id;
  }
}
