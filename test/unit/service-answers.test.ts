import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { DeclaredTool, McpSession } from '../../activities/apis/mcp.js';
import { isInactiveToolError } from '../../activities/apis/mcp.js';
import { Mailbox, MAX_UNREAD_SCANNED } from '../../activities/mailbox.js';
import { checkDeclarations, DOCUMENTED_NAMES, ToolCatalog } from '../../activities/tool-catalog.js';
import {
  AGENT_MCP_TOOLS,
  agentDefinition,
  enabledTools,
  grantedToolNames,
  formerLookupNames,
} from '../../activities/definitions.js';
import { ErrorType } from '../../workflows/contract.js';

const message = (id: string, subject = 'Invoice 42') => ({
  id,
  internalDate: '1700000000000',
  payload: { headers: [{ name: 'Subject', value: subject }] },
});

/** A Virtual MCP server that answers each call with the next of `answers` (or a function of the args). */
function fakeServer(
  answers: Record<string, Array<unknown> | ((args: Record<string, unknown>) => unknown)>,
): McpSession {
  return {
    async call(name, args) {
      const a = answers[name];
      if (typeof a === 'function') return a(args);
      if (!a?.length) throw new Error(`unexpected call ${name}`);
      return a.shift();
    },
    listTools: async () => [],
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('tool outputs: validated, never guessed', () => {
  it('reads a Gmail page of message resources and a Calendar listing', async () => {
    const mailbox = new Mailbox(
      fakeServer({
        gmail_fetch_mails: [
          { messages: [message('m2'), { ...message('m1'), internalDate: 1 }], resultSizeEstimate: 2 },
        ],
        googlecalendar_list_events: [{ items: [{ id: 'e1', description: 'x\n[inbox-agent:m1]' }] }],
      }),
      DOCUMENTED_NAMES,
    );
    const scan = await mailbox.unread();
    expect(scan).toEqual({
      messages: [
        { id: 'm1', subject: 'Invoice 42', receivedAt: 1 },
        { id: 'm2', subject: 'Invoice 42', receivedAt: 1700000000000 },
      ],
      capped: false,
    });
  });

  it('an empty inbox is an empty list, or no list with an estimate of 0 (as Gmail sends it)', async () => {
    const mailbox = new Mailbox(
      fakeServer({ gmail_fetch_mails: [{ messages: [] }, { resultSizeEstimate: 0 }] }),
      DOCUMENTED_NAMES,
    );
    expect((await mailbox.unread()).messages).toEqual([]);
    expect((await mailbox.unread()).messages).toEqual([]);
  });

  const reshaped: Array<[string, unknown, RegExp]> = [
    ['a flat list under another key', { emails: [{ id: 'm1', subject: 'Invoice' }] }, /gmail_fetch_mails.*messages/],
    ['messages without payload headers', { messages: [{ id: 'm1', internalDate: '1' }] }, /messages\[0\]\.payload/],
    ['an id of the wrong type', { messages: [{ ...message('x'), id: 7 }] }, /messages\[0\]\.id: expected string/],
    ['internalDate not epoch ms', { messages: [{ ...message('x'), internalDate: 'yesterday' }] }, /internalDate/],
    ['not an object', 'no unread mail', /gmail_fetch_mails/],
  ];
  for (const [what, answer, names] of reshaped) {
    it(`a reshaped Gmail answer (${what}) is UnexpectedServiceAnswer naming the field, not an empty inbox`, async () => {
      const mailbox = new Mailbox(fakeServer({ gmail_fetch_mails: [answer] }), DOCUMENTED_NAMES);
      const failure = await failureOf(mailbox.unread());
      expect(failure.type).toBe(ErrorType.UnexpectedServiceAnswer);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toMatch(names);
      // Which call and which field, never the content.
      expect(failure.message).not.toMatch(/Invoice|yesterday|no unread mail/);
    });
  }

  it('a reshaped Calendar answer is UnexpectedServiceAnswer, not "no event yet"', async () => {
    for (const answer of [{ events: [] }, { items: [{ summary: 'no id' }] }, { items: 'none' }]) {
      const mailbox = new Mailbox(fakeServer({ googlecalendar_list_events: [answer] }), DOCUMENTED_NAMES);
      const failure = await failureOf(mailbox.eventFor('m1'));
      expect(failure.type).toBe(ErrorType.UnexpectedServiceAnswer);
      expect(failure.message).toMatch(/googlecalendar_list_events.*items/);
    }
  });

  it('a nextPageToken that comes back again is a failure, not an endless or repeated read', async () => {
    const mailbox = new Mailbox(
      fakeServer({ gmail_fetch_mails: () => ({ messages: [message('m1')], nextPageToken: 'same' }) }),
      DOCUMENTED_NAMES,
    );
    const failure = await failureOf(mailbox.unread());
    expect(failure.type).toBe(ErrorType.UnexpectedServiceAnswer);
    expect(failure.message).toMatch(/nextPageToken repeats/);
  });

  it('paging stops at its bound and says so', async () => {
    let page = 0;
    const mailbox = new Mailbox(
      fakeServer({
        gmail_fetch_mails: () => {
          page += 1;
          return {
            messages: Array.from({ length: 100 }, (_, i) => message(`p${page}-${i}`)),
            nextPageToken: `t${page}`,
          };
        },
      }),
      DOCUMENTED_NAMES,
    );
    const scan = await mailbox.unread();
    expect(scan.capped).toBe(true);
    expect(scan.messages).toHaveLength(MAX_UNREAD_SCANNED);
  });

  it('inactive-account tool errors are recognised in every wording the evidence allows', () => {
    for (const text of [
      'connected account for gmail is EXPIRED; the user must re-authorize',
      'The connected account for gmail is not connected. Please authorize the connection.',
      'connected account status: pending_auth',
      'Connection is inactive',
      'account not active',
    ]) {
      expect(isInactiveToolError(text), text).toBe(true);
    }
    expect(isInactiveToolError('Gmail API rate limit exceeded')).toBe(false);
  });
});

const tool = (name: string, input: string[], output?: Record<string, unknown>): DeclaredTool => ({
  name,
  inputSchema: { type: 'object', properties: Object.fromEntries(input.map((f) => [f, { type: 'string' }])) },
  ...(output ? { outputSchema: output } : {}),
});
const gmailOut = {
  type: 'object',
  properties: {
    messages: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          internalDate: { type: 'string' },
          payload: { type: 'object', properties: { headers: { type: 'array' } } },
        },
      },
    },
    nextPageToken: { type: 'string' },
  },
};
const eventsOut = {
  type: 'object',
  properties: { items: { type: 'array', items: { type: 'object', properties: { id: {}, description: {} } } } },
};
const declared = (prefix = '') => [
  tool(`${prefix}gmail_fetch_mails`, ['query', 'max_results', 'format', 'page_token'], gmailOut),
  tool(`${prefix}googlecalendar_list_events`, ['query', 'max_results', 'time_min'], eventsOut),
  tool(`${prefix}googlecalendar_create_event`, ['summary', 'start_datetime', 'event_duration_minutes', 'description']),
  tool(`${prefix}gmail_send_mail`, ['to']),
];

describe("the server's own declarations (tools/list)", () => {
  it('finds the three tools by exact name, or by base name under a prefix', () => {
    expect(checkDeclarations(declared())).toMatchObject({ names: DOCUMENTED_NAMES, problems: [] });
    const prefixed = checkDeclarations(declared('scalekit_'));
    expect(prefixed.problems).toEqual([]);
    expect(prefixed.names).toEqual({
      gmail_fetch_mails: 'scalekit_gmail_fetch_mails',
      googlecalendar_list_events: 'scalekit_googlecalendar_list_events',
      googlecalendar_create_event: 'scalekit_googlecalendar_create_event',
    });
  });

  it('names the missing tool, input field or output field', () => {
    const [gmail, events, create] = declared();
    expect(checkDeclarations([events!, create!]).problems).toEqual([
      expect.stringMatching(/no tool named gmail_fetch_mails/),
    ]);
    const noFormat = tool('gmail_fetch_mails', ['query', 'max_results', 'page_token'], gmailOut);
    expect(checkDeclarations([noFormat, events!, create!]).problems).toEqual([
      'gmail_fetch_mails declares no input field format',
    ]);
    const renamed = { ...gmail!, outputSchema: { type: 'object', properties: { emails: { type: 'array' } } } };
    expect(checkDeclarations([renamed, events!, create!]).problems).toEqual([
      'gmail_fetch_mails declares no output field messages',
      'gmail_fetch_mails declares no output field nextPageToken',
    ]);
    const undeclared = { ...gmail!, outputSchema: undefined };
    expect(checkDeclarations([undeclared, events!, create!])).toMatchObject({
      problems: [],
      notes: [expect.stringMatching(/gmail_fetch_mails declares no output schema/)],
    });
  });

  it('is read once per process; a failure to learn is not remembered', async () => {
    const catalog = new ToolCatalog();
    let lists = 0;
    let answer: DeclaredTool[] = [];
    const server: McpSession = { call: async () => undefined, listTools: async () => (lists++, answer) };
    const failure = await failureOf(catalog.learn(server));
    expect(failure.type).toBe(ErrorType.UnexpectedServiceAnswer);
    expect(failure.message).toMatch(/^tools\/list answered in an unexpected shape: no tool named gmail_fetch_mails/);
    answer = declared('sk.');
    expect((await catalog.learn(server)).gmail_fetch_mails).toBe('sk.gmail_fetch_mails');
    await catalog.learn(server);
    expect(lists).toBe(2);
  });

  it('an agent defined with prefixed names grants exactly its tools, and is recognised as ours', () => {
    const names = checkDeclarations(declared('scalekit_')).names!;
    const { definition } = agentDefinition('a', 'm', 'https://mcp.example/x', names);
    const configs = definition.tools[0]!.configs;
    expect(configs.map((c) => c.name).sort()).toEqual(AGENT_MCP_TOOLS.map((b) => names[b]).sort());
    const granted = enabledTools([
      { ...definition.tools[0]!, configs: configs.map((c) => ({ ...c })) },
    ] as unknown as Parameters<typeof enabledTools>[0]);
    expect(grantedToolNames(granted)).toEqual(names);
    expect(grantedToolNames([...granted, 'email-calendar-mcp:gmail_send_mail'])).toBeUndefined();
    // An agent set up when it still held the lookup is recognised as such (the worker narrows it), no other.
    const former = [...granted, 'email-calendar-mcp:scalekit_googlecalendar_list_events'];
    expect(formerLookupNames(former)).toEqual(names);
    expect(formerLookupNames(granted)).toBeUndefined();
    expect(formerLookupNames([...former, 'email-calendar-mcp:gmail_send_mail'])).toBeUndefined();
    expect(formerLookupNames([...granted, 'custom:googlecalendar_list_events'])).toBeUndefined();
  });
});
