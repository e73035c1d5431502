import type { AgentSessionSummary } from '../workflows/contract.js';
import type { SessionEventView } from './apis/managed-agents.wire.js';
import type { GateDecision, ToolUse } from './tool-policy.js';

/** Judges a tool use the service holds for us (`evaluated_permission: ask`), made in turn `turn`. */
export type ToolJudge = (use: ToolUse, turn: number, booked: ReadonlySet<string>) => GateDecision;

export interface PendingConfirmation {
  toolUseId: string;
  decision: GateDecision;
}

interface SeenToolUse extends ToolUse {
  turn: number;
}

/** The create tool's plain name; a server that prefixes it makes the session pass its real name. */
const CREATE_EVENT = 'googlecalendar_create_event';

/** The calendar event id in a create_event result (a Google Calendar event resource), if any. */
function createdEventId(content: SessionEventView['content']): string | undefined {
  const text = (content ?? []).map((b) => b.text ?? '').join('');
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Stop reasons that end a turn without its work done; the SDK's `BetaManagedAgentsSessionStatusIdleEvent`. */
const FAILED_STOP_REASONS: Record<string, string> = {
  retries_exhausted: 'the turn ended because repeated errors exhausted the retry budget',
  terminated: 'the session was terminated',
  deleted: 'the session was deleted',
};

/**
 * Folds the events of one session into its summary. Events may arrive twice (history, then the
 * live stream after a re-attach), so it keeps the ids it has seen and ignores repeats.
 *
 * A session runs `turns` turns, one per batch message (see run-agent-session.ts); a turn ends with
 * an idle that does not wait on us. Tool uses the service holds for confirmation are judged by
 * `judge` as they are seen, in event order, so a re-attached attempt that replays the history
 * reaches the same decisions (and the same "already booked" set) as the attempt before it.
 */
export class SessionTracker {
  private readonly seen = new Set<string>();
  private readonly toolCalls: string[] = [];
  private finalMessage = '';
  private readonly turnMessages: string[] = [];
  private readonly uses = new Map<string, SeenToolUse>();
  private readonly decisions = new Map<string, GateDecision>();
  /** Confirmations the service has (their echo was seen) or this attempt sent. */
  private readonly answered = new Set<string>();
  /** Tool uses the last `requires_action` idle waits on. */
  private waiting: string[] = [];
  /** Batch messages with an allowed (or proposed) creation, failed or not: one creation per message per session. */
  private readonly booked = new Set<string>();
  /**
   * Allowed creations and the event id each returned; undefined when the call failed, since a failed
   * answer may follow done work (a response lost after the calendar booked it).
   */
  private readonly createdEvents = new Map<string, string | undefined>();
  private echoes = 0;
  /** Turns whose message is in the session (echo seen, running seen, or sent per a heartbeat). */
  turnsSent = 0;
  turnsEnded = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private error?: { type: string; message: string };
  private toolErrors = 0;
  stopReason?: string;
  lastEventId?: string;

  constructor(
    readonly sessionId: string,
    private readonly turns = 1,
    private readonly judge?: ToolJudge,
    /** The create-event tool's name as the MCP server serves it (tools/list). */
    private readonly createTool = CREATE_EVENT,
  ) {}

  /** Our task is in the session: its echo was seen, or this attempt or an earlier one sent it. */
  get messageSent(): boolean {
    return this.turnsSent > 0;
  }

  /** The turn whose message must be sent next, if the previous one ended and turns are left. */
  get nextTurn(): number | undefined {
    return !this.done && this.turnsSent === this.turnsEnded && this.turnsEnded < this.turns
      ? this.turnsEnded
      : undefined;
  }

  /** Held tool uses not yet answered, with the decision to send. */
  pendingConfirmations(): PendingConfirmation[] {
    if (this.done) return [];
    return this.waiting
      .filter((id) => !this.answered.has(id))
      .map((id) => ({
        toolUseId: id,
        decision: this.decisions.get(id) ?? {
          tool: this.uses.get(id)?.name ?? 'unknown',
          decision: 'deny',
          reason: 'tool use not seen',
          denyMessage: 'Denied: the worker did not see this tool use.',
        },
      }));
  }

  markAnswered(toolUseId: string): void {
    this.answered.add(toolUseId);
  }

  /** The final message of each ended turn, in turn order. */
  get turnReplies(): readonly string[] {
    return this.turnMessages;
  }

  /** The tool uses that were judged, with their inputs (for proposals), in event order. */
  judgedUses(): Array<SeenToolUse & { decision: GateDecision }> {
    return [...this.decisions].map(([id, decision]) => ({ ...this.uses.get(id)!, decision }));
  }

  get eventsSeen(): number {
    return this.seen.size;
  }

  get toolCallCount(): number {
    return this.toolCalls.length;
  }

  get done(): boolean {
    return this.stopReason !== undefined;
  }

  /** Returns false for an event already counted. */
  add(event: SessionEventView): boolean {
    // Previews (event_start / event_delta) have no id and repeat what a full event will say.
    if (!event.id) return false;
    if (this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    this.lastEventId = event.id;
    switch (event.type) {
      case 'user.message':
        this.echoes += 1;
        this.turnsSent = Math.max(this.turnsSent, this.echoes);
        break;
      // Only our task makes this session run, so a running status proves it arrived, even where the
      // service lists a user.message only once processed, or a re-attached stream missed its echo.
      case 'session.status_running':
        this.turnsSent = Math.max(this.turnsSent, this.turnsEnded + 1);
        break;
      case 'user.tool_confirmation':
        if (event.tool_use_id) this.answered.add(event.tool_use_id);
        break;
      case 'agent.mcp_tool_use':
      case 'agent.tool_use':
        this.toolCalls.push(event.name ?? 'unknown');
        this.judgeUse(event);
        break;
      case 'agent.mcp_tool_result':
      case 'agent.tool_result':
        this.noteResult(event);
        break;
      case 'agent.message':
        this.finalMessage = (event.content ?? [])
          .map((b) => (b.type === 'text' ? (b.text ?? '') : ''))
          .join('')
          .trim();
        this.turnMessages[this.turnsEnded] = this.finalMessage;
        break;
      case 'span.model_request_end':
        this.inputTokens += event.model_usage?.input_tokens ?? 0;
        this.outputTokens += event.model_usage?.output_tokens ?? 0;
        break;
      case 'session.error':
        // `retrying`: "The server is retrying automatically. Client should wait" (SDK docs): the turn
        // goes on. `exhausted` and `terminal` end it, with an idle (retries_exhausted) or a termination.
        if (event.error?.retry_status?.type !== 'retrying') {
          this.error = { type: event.error?.type ?? 'unknown_error', message: event.error?.message ?? '' };
        }
        break;
      case 'session.status_idle': {
        // An idle that waits on us (tool confirmation) is not the end of the turn.
        const stop = event.stop_reason?.type ?? 'end_turn';
        if (stop === 'requires_action') {
          this.waiting = [...(event.stop_reason?.event_ids ?? [])];
          break;
        }
        this.waiting = [];
        if (this.turnsSent <= this.turnsEnded) break;
        if (stop !== 'end_turn') {
          this.stopReason = stop;
          break;
        }
        this.turnsEnded += 1;
        if (this.turnsEnded >= this.turns) this.stopReason = stop;
        break;
      }
      case 'session.status_terminated':
      case 'session.deleted':
        this.stopReason = event.type === 'session.deleted' ? 'deleted' : 'terminated';
        break;
    }
    return true;
  }

  /** This attempt (or an earlier one, per its heartbeat) sent the task of turns up to `turns`. */
  markMessageSent(turns = 1): void {
    this.turnsSent = Math.max(this.turnsSent, turns);
  }

  private judgeUse(event: SessionEventView): void {
    if (!event.id) return;
    const use: SeenToolUse = {
      id: event.id,
      name: event.name ?? 'unknown',
      input: event.input ?? {},
      turn: this.turnsEnded,
    };
    this.uses.set(use.id, use);
    // Only what the service holds for us is ours to decide; what it evaluated itself already ran
    // (definitions.ts says which tools are held). An absent evaluation is judged, to be safe.
    if (!this.judge || event.evaluated_permission === 'allow' || event.evaluated_permission === 'deny') return;
    const decision = this.judge(use, use.turn, this.booked);
    this.decisions.set(use.id, decision);
    if (use.name === this.createTool && decision.decision !== 'deny' && decision.messageId) {
      this.booked.add(decision.messageId);
    }
  }

  private noteResult(event: SessionEventView): void {
    const useId = event.mcp_tool_use_id ?? event.tool_use_id;
    const decision = useId ? this.decisions.get(useId) : undefined;
    // A denial comes back as an error result; it is the gate working, not a failing tool.
    if (decision?.decision === 'deny') return;
    if (event.is_error) this.toolErrors += 1;
    if (!useId || this.uses.get(useId)?.name !== this.createTool || decision?.decision !== 'allow') return;
    const eventId = event.is_error ? undefined : createdEventId(event.content);
    this.createdEvents.set(useId, eventId);
    // A failed creation stays booked for this session: its error may follow done work (the calendar
    // booked it and the answer was lost), and nothing in the session looks before creating again. The
    // message stays handed over, so the next sweep's read finds that event or hands the message out anew.
  }

  /** The decisions so far as reported (summary, heartbeat): tool, decision, fixed reason, message id. */
  toolDecisions(): AgentSessionSummary['toolDecisions'] {
    return [...this.decisions.values()].map(({ tool, decision, reason, messageId }) => ({
      tool,
      decision,
      reason,
      ...(messageId ? { messageId } : {}),
    }));
  }

  summary(): AgentSessionSummary {
    // A turn can end unfinished without a session.error in view (e.g. a retry budget the service
    // spent on errors it reported as retrying); that is still a failed session, under a stable type.
    const failedStop = this.stopReason ? FAILED_STOP_REASONS[this.stopReason] : undefined;
    const error = this.error ?? (failedStop ? { type: this.stopReason!, message: failedStop } : undefined);
    return {
      sessionId: this.sessionId,
      stopReason: this.stopReason ?? 'unknown',
      toolCalls: [...this.toolCalls],
      finalMessage: this.finalMessage,
      usage: { inputTokens: this.inputTokens, outputTokens: this.outputTokens },
      toolErrors: this.toolErrors,
      reportedNoAction: [],
      toolDecisions: this.toolDecisions(),
      allowedEvents: [...this.decisions]
        .filter(
          ([id, d]) =>
            d.decision === 'allow' && d.tool === this.createTool && d.messageId && this.createdEvents.has(id),
        )
        // One without an id lets the recording accept the message's marked event if the calendar has
        // it, as the next sweep's recovery would.
        .map(([id, d]) => {
          const eventId = this.createdEvents.get(id);
          return { messageId: d.messageId!, toolUseId: id, ...(eventId ? { eventId } : {}) };
        }),
      ...(error ? { error } : {}),
    };
  }
}
