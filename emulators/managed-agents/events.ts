import { formatMicros, nowMicros } from './clock.js';
import { newId } from './ids.js';

export interface SessionEvent {
  id: string;
  type: string;
  /** A `user.message` has null here until the agent finished processing it (the SDK's documented meaning). */
  processed_at: string | null;
  [field: string]: unknown;
}

export interface LoggedEvent {
  event: SessionEvent;
  micros: number;
}

export interface EventListener {
  event(event: SessionEvent): void;
  /** The log will never grow again (session deleted, emulator reset): end the stream. */
  close(): void;
}

/** A session's append-only event history, fanned out live to every open stream. */
export class EventLog {
  readonly entries: LoggedEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  private closed = false;

  /** After `close()` events are still built (a stopping agent loop may emit one more) but no longer kept. */
  append(fields: { type: string } & Record<string, unknown>): SessionEvent {
    const micros = nowMicros();
    const processedAt = fields.type === 'user.message' ? null : formatMicros(micros);
    const event: SessionEvent = { id: newId('sevt'), ...fields, processed_at: processedAt };
    if (this.closed) return event;
    this.entries.push({ event, micros });
    for (const listener of [...this.listeners]) listener.event(event);
    return event;
  }

  /** Streams see only what happens after they connect; the real API has no replay either. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    for (const listener of [...this.listeners]) listener.close();
    this.listeners.clear();
  }
}
