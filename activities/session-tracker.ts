import type { AgentSessionSummary } from '../workflows/contract.js';

/** The fields of a session event that a sweep reads; the SDK's union types carry many more. */
export interface SessionEventLike {
  id?: string;
  type: string;
  name?: string;
  content?: Array<{ type: string; text?: string }>;
  stop_reason?: { type: string } | null;
  model_usage?: { input_tokens?: number; output_tokens?: number };
  error?: { type?: string; message?: string };
}

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
  stopReason?: string;
  lastEventId?: string;
  userMessageSeen = false;

  constructor(readonly sessionId: string) {}

  get eventsSeen(): number {
    return this.seen.size;
  }

  get done(): boolean {
    return this.stopReason !== undefined;
  }

  /** Returns false for an event already counted. */
  add(event: SessionEventLike): boolean {
    // Previews (event_start / event_delta) have no id and repeat what a full event will say.
    if (!event.id) return false;
    if (this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    this.lastEventId = event.id;
    switch (event.type) {
      case 'user.message':
        this.userMessageSeen = true;
        break;
      case 'agent.mcp_tool_use':
      case 'agent.tool_use':
        this.toolCalls.push(event.name ?? 'unknown');
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
        this.error = { type: event.error?.type ?? 'unknown_error', message: event.error?.message ?? '' };
        break;
      case 'session.status_idle':
        // An idle that waits on us (tool confirmation) is not the end of the turn; the agent's
        // MCP toolset is always_allow, so this only happens if that policy is changed.
        if (this.userMessageSeen && event.stop_reason?.type !== 'requires_action') {
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

  summary(): AgentSessionSummary {
    return {
      sessionId: this.sessionId,
      stopReason: this.stopReason ?? 'unknown',
      toolCalls: [...this.toolCalls],
      finalMessage: this.finalMessage,
      usage: { inputTokens: this.inputTokens, outputTokens: this.outputTokens },
      ...(this.error ? { error: this.error } : {}),
    };
  }
}
