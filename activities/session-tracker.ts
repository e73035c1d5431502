import type { AgentSessionSummary } from '../workflows/contract.js';
import type { SessionEventView } from './apis/managed-agents.wire.js';

/** Stop reasons that end a turn without its work done; the SDK's `BetaManagedAgentsSessionStatusIdleEvent`. */
const FAILED_STOP_REASONS: Record<string, string> = {
  retries_exhausted: 'the turn ended because repeated errors exhausted the retry budget',
  terminated: 'the session was terminated',
  deleted: 'the session was deleted',
};

/**
 * Folds the events of one session into its summary. Events may arrive twice (history, then the
 * live stream after a re-attach), so it keeps the ids it has seen and ignores repeats.
 */
export class SessionTracker {
  private readonly seen = new Set<string>();
  private readonly toolCalls: string[] = [];
  private finalMessage = '';
  private inputTokens = 0;
  private outputTokens = 0;
  private error?: { type: string; message: string };
  private toolErrors = 0;
  stopReason?: string;
  lastEventId?: string;
  /** Our task is in the session: its echo was seen, or this attempt or an earlier one sent it. */
  messageSent = false;

  constructor(readonly sessionId: string) {}

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
      // Only our task makes this session run, so a running status proves it arrived, even where the
      // service lists a user.message only once processed, or a re-attached stream missed its echo.
      case 'session.status_running':
        this.messageSent = true;
        break;
      case 'agent.mcp_tool_use':
      case 'agent.tool_use':
        this.toolCalls.push(event.name ?? 'unknown');
        break;
      case 'agent.mcp_tool_result':
      case 'agent.tool_result':
        if (event.is_error) this.toolErrors += 1;
        break;
      case 'agent.message':
        this.finalMessage = (event.content ?? [])
          .map((b) => (b.type === 'text' ? (b.text ?? '') : ''))
          .join('')
          .trim();
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
      case 'session.status_idle':
        // An idle that waits on us (tool confirmation) is not the end of the turn; the agent's
        // MCP toolset is always_allow, so this only happens if that policy is changed.
        if (this.messageSent && event.stop_reason?.type !== 'requires_action') {
          this.stopReason = event.stop_reason?.type ?? 'end_turn';
        }
        break;
      case 'session.status_terminated':
      case 'session.deleted':
        this.stopReason = event.type === 'session.deleted' ? 'deleted' : 'terminated';
        break;
    }
    return true;
  }

  /** This attempt (or an earlier one, per its heartbeat) sent the task. */
  markMessageSent(): void {
    this.messageSent = true;
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
      ...(error ? { error } : {}),
    };
  }
}
