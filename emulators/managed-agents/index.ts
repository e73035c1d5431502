import { createServer } from 'node:http';
import { Control, type RateLimitInput } from '../common/control.js';
import { listen } from '../common/http.js';
import { createApp } from './app.js';
import { DEFAULT_BEHAVIOUR, type AgentBehaviour } from './behaviour.js';
import {
  agentStates,
  sessionStates,
  vaultStates,
  type AgentState,
  type SessionState,
  type VaultState,
} from './state.js';
import { SessionFaults, type SessionErrorRuleInput } from './session-faults.js';
import { DEFAULT_SETTINGS, type Settings } from './settings.js';
import { Store } from './store.js';

export interface ManagedAgentsEmulatorOptions {
  port?: number;
  host?: string;
  /** Default `sk-ant-emulator`. */
  apiKey?: string;
  /** Pause before each step of an agent turn, so tests can act mid-session. Default 0. */
  stepDelayMs?: number;
  /** Interval of `event: ping` frames on open event streams. Default 15000. */
  heartbeatMs?: number;
  /** Behaviours the docs leave open (see settings.ts); `reset()` restores these. */
  settings?: Partial<Settings>;
  /** A per-API-key token bucket; off unless given. */
  rateLimit?: RateLimitInput;
}

export interface ManagedAgentsEmulator {
  /** `baseURL` for `new Anthropic({ baseURL, apiKey })`. */
  url: string;
  apiKey: string;
  /** Route keys look like `POST /v1/sessions`, `GET /v1/sessions/:session_id/events/stream`. */
  control: Control;
  setStepDelay(ms: number): void;
  /** Switches a documented-as-open behaviour on the running emulator (see settings.ts). */
  configure(settings: Partial<Settings>): void;
  /** How the scripted model behaves (behaviour.ts); `reset()` restores the default (honest). */
  setAgentBehaviour(changes: Partial<AgentBehaviour>): void;
  /** Makes the next turn(s) of a session (or of every session) meet a `session.error` (see session-faults.ts). */
  injectSessionError(rule: SessionErrorRuleInput): void;
  clearSessionErrors(): void;
  agents(): AgentState[];
  /** Tokens are visible only here, never over HTTP. */
  vaults(): VaultState[];
  sessions(): SessionState[];
  /** Resolves once the session is idle: its turn ended, or it is parked on `requires_action`. Default 10 s. */
  waitForIdle(sessionId: string, timeoutMs?: number): Promise<void>;
  /** Forgets all state, faults, rate limits and counters, and restores the configured step delay and settings. */
  reset(): void;
  close(): Promise<void>;
}

export async function startManagedAgentsEmulator(
  opts: ManagedAgentsEmulatorOptions = {},
): Promise<ManagedAgentsEmulator> {
  const apiKey = opts.apiKey ?? 'sk-ant-emulator';
  const control = new Control();
  const store = new Store();
  const faults = new SessionFaults();
  const settings: Settings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const behaviour: AgentBehaviour = { ...DEFAULT_BEHAVIOUR };
  let stepDelayMs = opts.stepDelayMs ?? 0;
  const setStepDelay = (ms: number) => {
    stepDelayMs = ms;
  };
  const resetState = () => {
    store.clear();
    faults.clear();
    Object.assign(settings, DEFAULT_SETTINGS, opts.settings);
    Object.assign(behaviour, DEFAULT_BEHAVIOUR);
    control.rateLimit(opts.rateLimit);
    stepDelayMs = opts.stepDelayMs ?? 0;
  };
  control.rateLimit(opts.rateLimit);

  const app = createApp({
    apiKey,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    control,
    store,
    runnerDeps: { store, stepDelayMs: () => stepDelayMs, faults, behaviour, samples: settings },
    settings,
    setStepDelay,
    onReset: resetState,
  });
  const server = await listen(createServer(app), opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    url: server.url,
    apiKey,
    control,
    setStepDelay,
    configure: (changes) => Object.assign(settings, changes),
    setAgentBehaviour: (changes) => Object.assign(behaviour, changes),
    injectSessionError: (rule) => faults.inject(rule),
    clearSessionErrors: () => faults.clear(),
    agents: () => agentStates(store),
    vaults: () => vaultStates(store, true),
    sessions: () => sessionStates(store),
    waitForIdle: (sessionId, timeoutMs = 10_000) => {
      const session = store.sessions.get(sessionId);
      if (!session) return Promise.reject(new Error(`unknown session ${sessionId}`));
      return session.runner.waitForIdle(timeoutMs);
    },
    reset: () => {
      control.reset();
      resetState();
    },
    close: async () => {
      store.clear();
      await server.close();
    },
  };
}
