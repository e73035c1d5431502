import {
  mcpToolAccess,
  offeredMcpTools,
  refusal,
  type McpServer,
  type McpToolset,
  type PermissionPolicy,
} from './agent-config.js';
import type { AgentBehaviour } from './behaviour.js';
import type { SessionEvent } from './events.js';
import { parseEmails, parseNewestEmail, type Email } from './gmail.js';
import { attemptInjectedAttacks, isInjected } from './injection.js';
import { connectMcp, McpAuthError, McpConnectionError, type McpConnection } from './mcp-client.js';
import type { SessionAgent } from './store.js';
import { nextFullHour, senderName, summarizeEmail } from './summarize.js';
import { markerFor, parseSweepTask, type SweepTask } from './task.js';
import type { Samples } from './samples.js';

/**
 * One agent turn, played by a scripted "model". Given a sweep task (task.ts) it handles exactly the
 * e-mails the task names; given any other prompt it follows the guide's system prompt: fetch the
 * newest unread email, summarize it, put an `Action Required: <subject>` event on the calendar, report back.
 * Everything else about the turn is real: MCP over the wire with the vault's token, events in the
 * platform's order, permission policies, usage.
 */

export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface Confirmation {
  result: 'allow' | 'deny';
  deny_message?: string | null;
}

/** What the session runner hands a turn; the turn never touches the store directly. */
export interface TurnContext {
  agent: SessionAgent;
  prompt: string;
  /** The session's earlier (processed) user messages: the conversation the model has in context. */
  earlierPrompts: string[];
  /** Read at the start of the turn: a switch flipped mid-turn applies from the next one. */
  behaviour: AgentBehaviour;
  signal: AbortSignal;
  emit(fields: { type: string } & Record<string, unknown>): SessionEvent;
  /** The configurable pause between steps; rejects once the turn is interrupted. */
  step(): Promise<void>;
  mcpToken(mcpServerUrl: string): string | undefined;
  /** Why the session's environment lets no MCP traffic out, if it does not (its networking). */
  mcpBlocked?: string;
  /** ASSUMED (samples.ts, A34): how an MCP failure ends the turn. */
  mcpFailureRetry: Samples['mcpFailureRetry'];
  /** Goes idle with `requires_action` until the client confirms or denies the tool call. */
  confirm(toolUseId: string): Promise<Confirmation>;
  addUsage(usage: ModelUsage): void;
}

interface ConnectedServer {
  server: McpServer;
  toolset: McpToolset;
  connection: McpConnection;
}

/** Ends the turn with a `session.error` carrying `error`. */
class TurnFailure extends Error {
  constructor(readonly error: Record<string, unknown>) {
    super(String(error.message));
  }
}

const tokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * `exhausted` by default: the platform docs say a session whose MCP server is unreachable or refuses
 * the credential "still starts and interacts normally" (Managed Agents "MCP connector"), so the turn
 * dies but the session stays usable; `terminal` is the other reading (samples.ts, A34).
 */
function mcpFailure(
  ctx: Pick<TurnContext, 'mcpFailureRetry'>,
  type: string,
  server: McpServer,
  message: string,
): TurnFailure {
  return new TurnFailure({ type, mcp_server_name: server.name, message, retry_status: { type: ctx.mcpFailureRetry } });
}

export async function runTurn(ctx: TurnContext): Promise<void> {
  const servers: ConnectedServer[] = [];
  try {
    await connectServers(ctx, servers);
    await converse(ctx, servers);
  } catch (err) {
    if (!(err instanceof TurnFailure)) throw err;
    ctx.emit({ type: 'session.error', error: err.error });
  } finally {
    await Promise.all(servers.map((s) => s.connection.close().catch(() => undefined)));
  }
}

/** MCP servers are connected before the model is called, as the platform does, so auth failures come first. */
async function connectServers(ctx: TurnContext, into: ConnectedServer[]): Promise<void> {
  for (const server of ctx.agent.mcp_servers) {
    const toolset = ctx.agent.tools.find(
      (t): t is McpToolset => t.type === 'mcp_toolset' && t.mcp_server_name === server.name,
    );
    if (!toolset || (!toolset.default_config.enabled && !toolset.configs.some((c) => c.enabled))) continue;
    if (ctx.mcpBlocked) throw mcpFailure(ctx, 'mcp_connection_failed_error', server, ctx.mcpBlocked);
    const token = ctx.mcpToken(server.url);
    if (token === undefined) {
      throw mcpFailure(
        ctx,
        'mcp_authentication_failed_error',
        server,
        `No credential in the session's vaults matches MCP server URL ${server.url}`,
      );
    }
    try {
      const connection = await connectMcp(server.url, token, ctx.signal);
      into.push({ server, toolset, connection: { ...connection, tools: offeredMcpTools(toolset, connection.tools) } });
    } catch (err) {
      if (err instanceof McpAuthError) throw mcpFailure(ctx, 'mcp_authentication_failed_error', server, err.message);
      if (err instanceof McpConnectionError) throw mcpFailure(ctx, 'mcp_connection_failed_error', server, err.message);
      throw err;
    }
  }
}

class Meter {
  usage: ModelUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  read(text: string): void {
    this.usage.input_tokens += tokens(text);
  }
  write(text: string): void {
    this.usage.output_tokens += tokens(text);
  }
}

async function converse(ctx: TurnContext, servers: ConnectedServer[]): Promise<void> {
  await ctx.step();
  const start = ctx.emit({ type: 'span.model_request_start' });
  const meter = new Meter();
  meter.read(`${ctx.agent.system ?? ''}\n${ctx.prompt}`);
  let failed = false;
  try {
    const text = await act(ctx, servers, meter);
    await ctx.step();
    meter.write(text);
    ctx.emit({ type: 'agent.message', content: [{ type: 'text', text }] });
  } catch (err) {
    failed = !ctx.signal.aborted && !(err instanceof TurnFailure);
    throw err;
  } finally {
    ctx.addUsage(meter.usage);
    ctx.emit({
      type: 'span.model_request_end',
      model_request_start_id: start.id,
      is_error: failed,
      model_usage: meter.usage,
    });
  }
}

/**
 * The model knows a tool by what it does: a server may list it under a prefix (`scalekit_gmail_fetch_mails`,
 * emulators/scalekit/samples.ts), so the emulated model takes the offered tool whose name ends in the base name.
 */
function servedName(tools: string[], base: string): string {
  return (
    tools.find((t) => t === base) ??
    tools.find((t) => t.endsWith(base) && /[._:/-]$/.test(t.slice(0, -base.length))) ??
    base
  );
}

function findTool(servers: ConnectedServer[], base: string): ConnectedServer | undefined {
  return servers.find((s) => {
    const name = servedName(s.connection.tools, base);
    return s.connection.tools.includes(name) && mcpToolAccess(s.toolset, name).enabled;
  });
}

async function act(ctx: TurnContext, servers: ConnectedServer[], meter: Meter): Promise<string> {
  const mail = findTool(servers, 'gmail_fetch_mails');
  const calendar = findTool(servers, 'googlecalendar_create_event');
  if (!mail) {
    const quoted = ctx.prompt.length > 200 ? `${ctx.prompt.slice(0, 199)}…` : ctx.prompt;
    return `I read your message ("${quoted}"), but I have no Gmail or Google Calendar tools in this session, so there is nothing I can act on.`;
  }

  const task = parseSweepTask(ctx.prompt);
  if (task) return actOnTask(ctx, servers, meter, task, mail, calendar);

  const fetched = await callTool(ctx, mail, 'gmail_fetch_mails', { query: 'is:unread', max_results: 1 }, meter);
  if (fetched.isError) return `I could not read the inbox: ${fetched.text}`;
  const email = parseNewestEmail(fetched.text);
  if (!email)
    return 'There are no unread emails, so there was nothing to summarize and I did not create a calendar event.';

  const summary = summarizeEmail(email);
  const title = `Action Required: ${email.subject}`;
  if (!calendar) return `${summary}\n\nI have no calendar tool in this session, so I did not create an event.`;

  // A sweep that runs again before the email is read must not book the same reminder twice.
  const lookup = findTool(servers, 'googlecalendar_list_events');
  if (lookup) {
    const listed = await callTool(ctx, lookup, 'googlecalendar_list_events', { query: title, max_results: 10 }, meter);
    if (!listed.isError && listsEventTitled(listed.text, title)) {
      return `${summary}\n\nThe calendar already has the event "${title}", so I did not create another one.`;
    }
  }

  const start = nextFullHour(new Date());
  const input = { summary: title, description: summary, start_datetime: start, event_duration_minutes: 30 };
  const created = await callTool(ctx, calendar, 'googlecalendar_create_event', input, meter);
  if (created.isError) return `${summary}\n\nCreating the calendar event "${title}" failed: ${created.text}`;
  return (
    `I summarized the most recent unread email, from ${senderName(email.from)}, and created the calendar event ` +
    `"${title}" starting ${start} for 30 minutes.\n\nSummary: ${summary}`
  );
}

/**
 * A sweep task: read the unread mail once, then for each named message in order, judge it (unless
 * every e-mail must get an event), look for an event already carrying its id when the task says to
 * (a failed lookup books nothing), and create one if none.
 */
async function actOnTask(
  ctx: TurnContext,
  servers: ConnectedServer[],
  meter: Meter,
  task: SweepTask,
  mail: ConnectedServer,
  calendar: ConnectedServer | undefined,
): Promise<string> {
  const fetched = await callTool(ctx, mail, 'gmail_fetch_mails', { query: task.query, max_results: 500 }, meter);
  if (fetched.isError) return `I could not read the inbox: ${fetched.text}\n\n${reportBlock([], [])}`;
  const unread = new Map(parseEmails(fetched.text).map((e) => [e.id, e]));
  const lookup = findTool(servers, 'googlecalendar_list_events');
  const events: Array<{ message_id: string; event_id: string }> = [];
  const noAction: string[] = [];
  const lines: string[] = [];
  /** Messages an obeyed email told the agent to leave alone (and report as needing no action). */
  const toldToSkip = new Set<string>();
  for (const id of task.messageIds) {
    const email = unread.get(id);
    if (!email) {
      lines.push(`- ${id}: not among the unread emails; skipped.`);
      continue;
    }
    if (toldToSkip.has(id)) continue;
    if (ctx.behaviour.failOnMessageIds.includes(id)) {
      lines.push(`- ${id}: I could not handle this email.`);
      continue;
    }
    if (ctx.behaviour.obeyInstructionsInMail && isInjected(email)) {
      const others = otherMessages(task, ctx.earlierPrompts, unread, id);
      const call = (tool: string, input: Record<string, unknown>) => {
        const target = tool === 'gmail_fetch_mails' ? mail : calendar;
        return target ? callTool(ctx, target, tool, input, meter) : Promise.resolve({ isError: true, text: 'no tool' });
      };
      for (const skipped of await attemptInjectedAttacks(email, others, call)) {
        toldToSkip.add(skipped);
        if (!noAction.includes(skipped)) noAction.push(skipped);
      }
      lines.push(`- "${email.subject}": I did what the email asked.`);
    }
    if (task.mode === 'judge' && task.needsNoAction(email)) {
      noAction.push(id);
      lines.push(`- "${email.subject}" from ${senderName(email.from)}: automated or bulk mail, no action needed.`);
      continue;
    }
    if (!calendar || (task.lookUpFirst && !lookup)) {
      lines.push(`- "${email.subject}": I have no calendar tools in this session.`);
      continue;
    }
    const marker = markerFor(id);
    if (task.lookUpFirst && lookup) {
      const listed = await callTool(
        ctx,
        lookup,
        'googlecalendar_list_events',
        { query: marker, max_results: 10 },
        meter,
      );
      if (listed.isError) {
        lines.push(`- "${email.subject}": looking for an existing event failed (${listed.text}); nothing created.`);
        continue;
      }
      const existing = eventCarrying(listed.text, marker);
      if (existing) {
        events.push({ message_id: id, event_id: existing });
        lines.push(`- "${email.subject}": the calendar already has its event.`);
        continue;
      }
    }
    const summary = summarizeEmail(email);
    const input = {
      summary: `Action Required: ${task.subjects.get(id) ?? email.subject}`,
      description: `${summary}\n\n${marker}`,
      start_datetime: nextFullHour(new Date()),
      event_duration_minutes: 30,
    };
    const created = await callTool(ctx, calendar, 'googlecalendar_create_event', input, meter);
    const eventId = created.isError ? undefined : idOf(created.text);
    if (!eventId) {
      lines.push(`- "${email.subject}": creating the event failed: ${created.text}`);
      continue;
    }
    events.push({ message_id: id, event_id: eventId });
    lines.push(`- "${email.subject}" from ${senderName(email.from)}: created "${input.summary}". ${summary}`);
  }
  return `I handled the ${task.messageIds.length} email(s) I was given.\n${lines.join('\n')}\n\n${reportBlock(events, noAction)}`;
}

/**
 * The other messages an injected email can target: those the model knows of, from this task, from
 * the conversation's earlier tasks, or from the mail it read.
 */
function otherMessages(task: SweepTask, earlier: string[], unread: Map<string, Email>, id: string): Email[] {
  const known = new Map<string, string>(task.subjects);
  for (const prompt of earlier)
    for (const [m, subject] of parseSweepTask(prompt)?.subjects ?? []) known.set(m, subject);
  for (const [m, email] of unread) if (!known.has(m)) known.set(m, email.subject);
  known.delete(id);
  return [...known].map(([m, subject]) => unread.get(m) ?? { id: m, subject, from: '', body: '', headers: {} });
}

function reportBlock(events: Array<{ message_id: string; event_id: string }>, noAction: string[]): string {
  return ['```json', JSON.stringify({ events, no_action: noAction }), '```'].join('\n');
}

function idOf(text: string): string | undefined {
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The id of a listed event whose description ends with the marker line, as the task says to check. */
function eventCarrying(text: string, marker: string): string | undefined {
  for (const e of eventsIn(text)) {
    const event = e as { id?: unknown; description?: unknown };
    const last = typeof event.description === 'string' ? event.description.trimEnd().split('\n').at(-1) : undefined;
    if (last?.trim() === marker && typeof event.id === 'string') {
      return event.id;
    }
  }
  return undefined;
}

function eventsIn(text: string): unknown[] {
  try {
    const listing = JSON.parse(text) as { items?: unknown; events?: unknown };
    return Array.isArray(listing.items) ? listing.items : Array.isArray(listing.events) ? listing.events : [];
  } catch {
    return [];
  }
}

/** Reads a Google-Calendar-like listing (`items` or `events`) and looks for an exact title. */
function listsEventTitled(text: string, title: string): boolean {
  return eventsIn(text).some(
    (e) => typeof e === 'object' && e !== null && (e as { summary?: unknown }).summary === title,
  );
}

function evaluation(policy: PermissionPolicy): Record<string, unknown> {
  return policy.type === 'auto' ? { type: 'auto', evaluated_permission: { type: 'allow' } } : { type: policy.type };
}

async function callTool(
  ctx: TurnContext,
  target: ConnectedServer,
  base: string,
  input: Record<string, unknown>,
  meter: Meter,
): Promise<{ isError: boolean; text: string }> {
  const name = servedName(target.connection.tools, base);
  const refused = refusal(target.toolset, target.connection.tools, name);
  if (refused) return { isError: true, text: refused };
  await ctx.step();
  const policy = mcpToolAccess(target.toolset, name).permission_policy;
  const ask = policy.type === 'always_ask';
  meter.write(JSON.stringify(input));
  const use = ctx.emit({
    type: 'agent.mcp_tool_use',
    mcp_server_name: target.server.name,
    name,
    input,
    evaluated_permission: ask ? 'ask' : 'allow',
    evaluation: evaluation(policy),
  });
  const result = (content: string, isError: boolean) => {
    ctx.emit({
      type: 'agent.mcp_tool_result',
      mcp_tool_use_id: use.id,
      content: [{ type: 'text', text: content }],
      is_error: isError,
    });
    return { isError, text: content };
  };

  if (ask) {
    const confirmation = await ctx.confirm(use.id);
    // Documented (platform "Permission policies"): a denied tool does not run and the agent gets a
    // tool result saying so, with the deny_message. The exact wording is an assumption.
    if (confirmation.result === 'deny') {
      return result(`The user denied this tool call. ${confirmation.deny_message ?? ''}`.trim(), true);
    }
  }
  let outcome;
  try {
    outcome = await target.connection.call(name, input);
  } catch (err) {
    if (!(err instanceof McpAuthError)) throw err;
    result(err.message, true);
    throw mcpFailure(ctx, 'mcp_authentication_failed_error', target.server, err.message);
  }
  await ctx.step();
  const text = outcome.content.map((block) => block.text).join('\n');
  meter.read(text);
  ctx.emit({
    type: 'agent.mcp_tool_result',
    mcp_tool_use_id: use.id,
    content: outcome.content,
    is_error: outcome.isError,
  });
  return { isError: outcome.isError, text };
}
