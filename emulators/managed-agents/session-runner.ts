import { runTurn, type Confirmation, type ModelUsage, type TurnContext } from './agent-loop.js';
import type { AgentBehaviour } from './behaviour.js';
import { nowMicros, timestamp } from './clock.js';
import type { SessionEvent } from './events.js';
import type { SessionFaults } from './session-faults.js';
import type { EnvironmentObject, SessionRecord, Store } from './store.js';
import type { Samples } from './samples.js';

export interface RunnerDeps {
  store: Store;
  stepDelayMs(): number;
  faults: SessionFaults;
  /** Live: the control plane changes it in place. */
  behaviour: AgentBehaviour;
  /** Live too: the assumed answers (samples.ts) as configured now. */
  samples: Samples;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function textOf(event: SessionEvent): string {
  const content = Array.isArray(event.content) ? (event.content as Array<Record<string, unknown>>) : [];
  return content
    .filter((block) => block.type === 'text')
    .map((block) => String(block.text))
    .join('\n');
}

/**
 * Drives a session's status the way the platform does: each queued `user.message` becomes a turn
 * (`status_running` … `status_idle`), `user.interrupt` ends the current turn and drops what is queued,
 * `user.tool_confirmation` resumes a turn parked on `requires_action`.
 */
export class SessionRunner {
  private readonly queue: SessionEvent[] = [];
  private turn: AbortController | null = null;
  private readonly confirmations = new Map<string, (confirmation: Confirmation) => void>();
  private idleWaiters: Array<() => void> = [];
  private disposed = false;
  /** The retry_status of the last `session.error` the current turn emitted that ended it. */
  private turnError: 'exhausted' | 'terminal' | undefined;

  constructor(
    private readonly session: Omit<SessionRecord, 'runner'>,
    private readonly deps: RunnerDeps,
  ) {}

  awaitsConfirmation(toolUseId: string): boolean {
    return this.confirmations.has(toolUseId);
  }

  /** Acts on a client event that is already in the log. */
  accept(event: SessionEvent): void {
    if (this.terminated) return;
    if (event.type === 'user.message') {
      this.queue.push(event);
      if (!this.turn) this.startNext();
    } else if (event.type === 'user.interrupt') {
      this.queue.length = 0;
      this.turn?.abort(new Error('interrupted by user'));
    } else if (event.type === 'user.tool_confirmation') {
      this.confirmations.get(String(event.tool_use_id))?.(event as unknown as Confirmation);
    }
  }

  get terminated(): boolean {
    return this.session.status === 'terminated';
  }

  /** Resolves on idle, and on terminated: either way the session stopped working. */
  waitForIdle(timeoutMs: number): Promise<void> {
    if (this.session.status === 'idle' || this.terminated || this.disposed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        reject(new Error(`session ${this.session.id} still ${this.session.status} after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  /** Stops the turn for good (session deleted, emulator reset); the log is closed by the caller. */
  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    this.turn?.abort(new Error('session closed'));
    this.wakeIdleWaiters();
  }

  private startNext(): void {
    const message = this.queue.shift();
    if (!message) return;
    const controller = new AbortController();
    this.turn = controller;
    this.turnError = undefined;
    this.setStatus('running');
    this.playTurn(message, controller.signal)
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        this.emit({
          type: 'session.error',
          error: { type: 'unknown_error', message: String(err), retry_status: { type: 'terminal' } },
        });
      })
      .finally(() => {
        this.turn = null;
        if (this.disposed) return;
        // The SDK documents processed_at of a user.message as "when the agent finished processing this message".
        message.processed_at = timestamp();
        if (this.turnError === 'terminal') return this.terminate();
        if (this.turnError === 'exhausted') this.queue.length = 0;
        this.setStatus('idle', { type: this.turnError === 'exhausted' ? 'retries_exhausted' : 'end_turn' });
        if (this.queue.length > 0) this.startNext();
        else this.wakeIdleWaiters();
      });
  }

  /**
   * Injected session errors first (see session-faults.ts), then the agent's turn. An `exhausted` or
   * `terminal` error ends the turn; which one decides how (see `emit`).
   */
  private async playTurn(message: SessionEvent, signal: AbortSignal): Promise<void> {
    for (const fault of this.deps.faults.take(this.session.id)) {
      await delay(this.deps.stepDelayMs(), signal);
      this.emit({ type: 'session.error', error: fault.error });
      if (fault.retryStatus !== 'retrying') return;
    }
    await runTurn(this.context(message, signal));
  }

  /** A terminal error ends the session for good: `session.status_terminated`, and no more turns. */
  private terminate(): void {
    this.queue.length = 0;
    this.setStatus('terminated');
    this.wakeIdleWaiters();
  }

  private context(message: SessionEvent, signal: AbortSignal): TurnContext {
    return {
      agent: this.session.agent,
      prompt: textOf(message),
      // The model sees the whole conversation, not just this turn's message.
      earlierPrompts: this.session.log.entries
        .map(({ event }) => event)
        .filter((e) => e.type === 'user.message' && e !== message && e.processed_at !== null)
        .map(textOf),
      behaviour: { ...this.deps.behaviour },
      signal,
      emit: (fields) => this.emit(fields),
      step: () => delay(this.deps.stepDelayMs(), signal),
      mcpToken: (url) => this.deps.store.mcpToken(this.session.vault_ids, url),
      mcpBlocked: mcpBlockedBy(this.deps.store.environments.get(this.session.environment_id)),
      mcpFailureRetry: this.deps.samples.mcpFailureRetry,
      confirm: (toolUseId) => this.confirm(toolUseId, signal),
      addUsage: (usage) => this.addUsage(usage),
    };
  }

  private confirm(toolUseId: string, signal: AbortSignal): Promise<Confirmation> {
    this.setStatus('idle', { type: 'requires_action', event_ids: [toolUseId] });
    this.wakeIdleWaiters();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.confirmations.delete(toolUseId);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.confirmations.set(toolUseId, (confirmation) => {
        signal.removeEventListener('abort', onAbort);
        this.confirmations.delete(toolUseId);
        this.setStatus('running');
        resolve(confirmation);
      });
    });
  }

  private setStatus(status: 'running' | 'idle' | 'terminated', stopReason?: Record<string, unknown>): void {
    const now = nowMicros();
    if (status === 'running') this.session.runningSince ??= now;
    else if (this.session.runningSince !== null) {
      this.session.activeMicros += now - this.session.runningSince;
      this.session.runningSince = null;
    }
    this.session.status = status;
    this.session.updated_at = timestamp();
    if (status === 'running') this.emit({ type: 'session.status_running' });
    else if (status === 'terminated') this.emit({ type: 'session.status_terminated' });
    else this.emit({ type: 'session.status_idle', stop_reason: stopReason, stop_details: null });
  }

  private addUsage(usage: ModelUsage): void {
    const total = this.session.usage;
    total.input_tokens += usage.input_tokens;
    total.output_tokens += usage.output_tokens;
    total.cache_read_input_tokens += usage.cache_read_input_tokens;
    total.cache_creation.ephemeral_5m_input_tokens += usage.cache_creation_input_tokens;
  }

  private emit(fields: { type: string } & Record<string, unknown>): SessionEvent {
    const retryStatus = (fields.error as { retry_status?: { type?: string } } | undefined)?.retry_status?.type;
    if (fields.type === 'session.error' && (retryStatus === 'terminal' || retryStatus === 'exhausted')) {
      this.turnError = retryStatus;
    }
    return this.session.log.append(fields);
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * `limited` networking lets a session reach MCP servers only with `allow_mcp_servers` (SDK
 * `BetaCloudConfig` networking docs: "Permits outbound access to MCP server endpoints configured on
 * the agent", default false); the connection then fails as any unreachable server does.
 */
function mcpBlockedBy(environment: EnvironmentObject | undefined): string | undefined {
  const networking = (environment?.config.type === 'cloud' ? environment.config.networking : undefined) as
    { type?: string; allow_mcp_servers?: boolean } | undefined;
  if (networking?.type !== 'limited' || networking.allow_mcp_servers) return undefined;
  return `environment ${environment!.id} has limited networking without allow_mcp_servers: MCP servers are unreachable`;
}
