import { z } from 'zod';
import { parseAnswer, unexpectedAnswer } from './apis/answers.js';
import { withMcp, type McpSession } from './apis/mcp.js';
import { bulkRule } from './bulk-mail.js';
import { markerFor } from './sweep-task.js';
import type { ToolCatalog, ToolNames } from './tool-catalog.js';

/**
 * The outputs the worker reads, stating exactly the fields it uses (others are tolerated). Scalekit
 * publishes no output shape for these tools (evidence D4/D5): these are Gmail's `users.messages.list`
 * with message resources and Calendar's `events.list`, which is what the tools wrap. A reshaped
 * answer fails as `UnexpectedServiceAnswer`; it is never read as an empty inbox.
 */
const messageList = z
  .object({
    // Gmail leaves `messages` out of an empty list; then its estimate must say so.
    messages: z
      .array(
        z.object({
          id: z.string().min(1),
          internalDate: z.union([z.string().regex(/^\d+$/, 'expected epoch milliseconds'), z.number()]),
          // format=metadata always carries the headers, Subject among them when the mail has one.
          payload: z.object({ headers: z.array(z.object({ name: z.string(), value: z.string() })) }),
        }),
      )
      .optional(),
    resultSizeEstimate: z.number().optional(),
    nextPageToken: z.string().optional(),
  })
  .refine((page) => page.messages !== undefined || page.resultSizeEstimate === 0, {
    message: 'no messages list (and no resultSizeEstimate of 0)',
    path: ['messages'],
  });

const eventList = z.object({
  // Calendar always sends `items`, empty or not.
  items: z.array(
    z.object({
      id: z.string().min(1),
      description: z.string().nullish(),
      creator: z.object({ self: z.boolean().optional() }).nullish(),
    }),
  ),
  nextPageToken: z.string().optional(),
});

const createdEvent = z.object({ id: z.string() });

export interface UnreadMessage {
  id: string;
  subject: string;
  receivedAt: number;
  /** The worker's bulk-mail rule this message matches (bulk-mail.ts), from its headers. */
  bulk?: string;
}

export interface UnreadScan {
  messages: UnreadMessage[];
  /** True when the scan stopped at its bound with more pages left: the oldest unread were not seen. */
  capped: boolean;
}

/**
 * Gmail lists newest first and the worker never marks mail read, so handled mail stays in the unread
 * list: the scan must reach the oldest unread however many newer ones were handled already (a backlog
 * of 600 with 500 here skipped its oldest 100 for good). Beyond this, the oldest wait until mail is read.
 */
export const MAX_UNREAD_SCANNED = 5_000;
const PAGE = 100;

/** The worker's own reads of the user's mailbox and calendar, through the Virtual MCP server. */
export class Mailbox {
  constructor(
    private readonly mcp: McpSession,
    private readonly tools: ToolNames,
  ) {}

  /** Opens a connection; the tool names come from the server's own `tools/list`, learned once per process. */
  static open<T>(
    url: string,
    token: string,
    catalog: ToolCatalog,
    fn: (mailbox: Mailbox, tools: ToolNames) => Promise<T>,
  ): Promise<T> {
    return withMcp(url, token, async (mcp) => {
      const tools = await catalog.learn(mcp);
      return fn(new Mailbox(mcp, tools), tools);
    });
  }

  /** Unread messages, oldest first. Asks for metadata only: the worker never needs bodies. */
  async unread(): Promise<UnreadScan> {
    const tool = this.tools.gmail_fetch_mails;
    const found: UnreadMessage[] = [];
    const tokens = new Set<string>();
    let pageToken: string | undefined;
    do {
      const page = parseAnswer(
        messageList,
        await this.mcp.call(tool, {
          query: 'is:unread',
          max_results: PAGE,
          format: 'metadata',
          ...(pageToken ? { page_token: pageToken } : {}),
        }),
        tool,
      );
      for (const m of page.messages ?? []) {
        const subject = m.payload.headers.find((h) => h.name.toLowerCase() === 'subject')?.value ?? '';
        const bulk = bulkRule(m.payload.headers);
        found.push({ id: m.id, subject, receivedAt: Number(m.internalDate), ...(bulk ? { bulk } : {}) });
      }
      pageToken = page.nextPageToken || undefined;
      // A token seen before would page in a circle until the bound, reading the same mail again.
      if (pageToken && tokens.has(pageToken)) throw unexpectedAnswer(tool, 'nextPageToken repeats an earlier page');
      if (pageToken) tokens.add(pageToken);
    } while (pageToken && found.length < MAX_UNREAD_SCANNED);
    return {
      messages: found.sort((a, b) => a.receivedAt - b.receivedAt || a.id.localeCompare(b.id)),
      capped: pageToken !== undefined,
    };
  }

  /** The event carrying the message's marker line, if the calendar has one. */
  async eventFor(messageId: string): Promise<string | undefined> {
    return (await this.eventsFor(messageId))[0];
  }

  /**
   * The events whose description ends with the message's marker as its own last line, created by
   * the user (the agent books with the user's token). Not a substring match: an email quoting
   * another message's marker, summarized into its own event, must not make that event count for
   * the other message; nor may an invitation from someone else (Google puts those on the calendar
   * too, with the inviter as creator).
   */
  async eventsFor(messageId: string): Promise<string[]> {
    const marker = markerFor(messageId);
    const tool = this.tools.googlecalendar_list_events;
    const listing = parseAnswer(eventList, await this.mcp.call(tool, { query: marker, max_results: 10 }), tool);
    return listing.items
      .filter((e) => e.creator?.self !== false && lastLine(e.description ?? '') === marker)
      .map((e) => e.id);
  }

  /** Books an event exactly as given (an approved proposal): no attendees, no invitations. */
  async createEvent(event: { title: string; start: string; end: string; description: string }): Promise<string> {
    const minutes = Math.max(1, Math.round((Date.parse(event.end) - Date.parse(event.start)) / 60_000));
    const tool = this.tools.googlecalendar_create_event;
    const created = await this.mcp.call(tool, {
      summary: event.title,
      start_datetime: event.start,
      event_duration_minutes: minutes,
      description: event.description,
    });
    return parseAnswer(createdEvent, created, tool).id;
  }
}

const lastLine = (text: string): string | undefined => text.trimEnd().split('\n').at(-1)?.trim();
