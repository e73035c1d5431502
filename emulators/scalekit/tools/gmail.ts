import { z } from 'zod';
import type { StoredEmail } from '../state.js';
import { defineTool } from './define.js';

/** Gmail's `users.messages.list` with message resources (format=metadata keeps the headers). */
const messagesOutput = z.looseObject({
  messages: z.array(
    z.looseObject({
      id: z.string(),
      threadId: z.string(),
      labelIds: z.array(z.string()),
      snippet: z.string(),
      internalDate: z.string().describe('epoch milliseconds'),
      payload: z.looseObject({
        mimeType: z.string(),
        headers: z.array(z.object({ name: z.string(), value: z.string() })),
      }),
    }),
  ),
  resultSizeEstimate: z.number(),
  nextPageToken: z.string().optional(),
});

/** ASSUMED alternative (samples.ts `gmailOutput: flat`): one flat object per mail. */
const flatOutput = z.looseObject({
  emails: z.array(z.object({ id: z.string(), from: z.string(), subject: z.string(), date: z.string() })),
  next_page_token: z.string().optional(),
});

type MessagesOutput = z.output<typeof messagesOutput>;
const header = (m: MessagesOutput['messages'][number], name: string): string =>
  m.payload.headers.find((h) => h.name.toLowerCase() === name)?.value ?? '';

export const gmailFetchMails = defineTool({
  name: 'gmail_fetch_mails',
  connection: 'gmail',
  description:
    'Fetch emails from the connected Gmail account, newest first. Supports Gmail search syntax in `query` ' +
    '(this emulator understands is:unread, is:read, from:, to:, subject:, after:, before: and free words).',
  input: {
    query: z.string().optional().describe('Gmail search query, e.g. "is:unread from:alice"'),
    max_results: z.number().int().min(1).max(500).optional().describe('Maximum number of messages (default 100)'),
    page_token: z.string().optional(),
    label_ids: z.array(z.string()).optional().describe('Only messages carrying all these labels, e.g. ["UNREAD"]'),
    include_spam_trash: z.boolean().optional(),
    format: z.string().optional(),
  },
  output: messagesOutput,
  alternative: (ctx) =>
    ctx.samples.gmailOutput === 'flat'
      ? {
          output: flatOutput,
          map: (result) => {
            const { messages, nextPageToken } = result as MessagesOutput;
            return {
              emails: messages.map((m) => ({
                id: m.id,
                from: header(m, 'from'),
                subject: header(m, 'subject'),
                date: header(m, 'date'),
              })),
              ...(nextPageToken && { next_page_token: nextPageToken }),
            };
          },
        }
      : undefined,
  run(args, ctx) {
    const matches = ctx.state
      .mailbox(ctx.identifier)
      .filter(matcher(args.query ?? ''))
      .filter((m) => (args.label_ids ?? []).every((label) => labels(m).includes(label)))
      .sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime());
    const offset = Number(args.page_token ?? 0) || 0;
    const end = offset + (args.max_results ?? 100);
    return {
      messages: matches.slice(offset, end).map(toGmailMessage),
      resultSizeEstimate: matches.length,
      ...(end < matches.length && { nextPageToken: String(end) }),
    };
  },
});

const labels = (m: StoredEmail): string[] => (m.unread ? ['UNREAD', 'INBOX'] : ['INBOX']);

/** A Gmail API `users.messages` resource, except that `body.data` is plain text rather than base64url. */
function toGmailMessage(m: StoredEmail): object {
  return {
    id: m.id,
    threadId: m.threadId,
    labelIds: labels(m),
    snippet: m.body.replace(/\s+/g, ' ').trim().slice(0, 200),
    internalDate: String(m.receivedAt.getTime()),
    sizeEstimate: m.body.length,
    payload: {
      mimeType: 'text/plain',
      headers: [
        { name: 'From', value: m.from },
        { name: 'To', value: m.to },
        { name: 'Subject', value: m.subject },
        { name: 'Date', value: m.receivedAt.toUTCString() },
        ...Object.entries(m.headers).map(([name, value]) => ({ name, value })),
      ],
      body: { size: m.body.length, data: m.body },
    },
  };
}

/** ANDs the terms of a Gmail query; quoted phrases count as one term. */
function matcher(query: string): (m: StoredEmail) => boolean {
  const terms = (query.match(/(?:[^\s"]+:)?"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/"/g, '').toLowerCase());
  return (m) =>
    terms.every((term) => {
      if (!term.includes(':')) return `${m.from} ${m.subject} ${m.body}`.toLowerCase().includes(term);
      const [key, value] = splitOnce(term);
      switch (key) {
        case 'is':
          return value === 'unread' ? m.unread : value === 'read' ? !m.unread : true;
        case 'from':
          return m.from.toLowerCase().includes(value);
        case 'to':
          return m.to.toLowerCase().includes(value);
        case 'subject':
          return m.subject.toLowerCase().includes(value);
        // Gmail documents both as dates (2004/04/16) or epoch seconds; that either bound is strict
        // is assumed (Gmail does not say), and the worker leaves a second of margin either way.
        case 'after':
          return m.receivedAt.getTime() > searchTime(value);
        case 'before':
          return m.receivedAt.getTime() < searchTime(value);
        default:
          // Operators the emulator does not model (in:, newer_than:, ...) do not narrow the result.
          return true;
      }
    });
}

/** `after:`/`before:` values: epoch seconds, or a date as YYYY/MM/DD (read as UTC midnight). */
function searchTime(value: string): number {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(value);
  return date ? Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3])) : NaN;
}

function splitOnce(term: string): [string, string] {
  const i = term.indexOf(':');
  return [term.slice(0, i), term.slice(i + 1)];
}
