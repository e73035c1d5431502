import type { Store } from './store.js';

/** The emulator's state as tests see it. Tokens are real only in-process; over HTTP they are redacted. */

export interface AgentState {
  id: string;
  name: string;
  version: number;
  archived: boolean;
}

export interface VaultState {
  id: string;
  displayName: string;
  metadata: Record<string, string>;
  archived: boolean;
  credentials: Array<{ id: string; mcpServerUrl: string; token: string; archived: boolean }>;
}

export interface SessionState {
  id: string;
  status: string;
  vaultIds: string[];
  agentId: string;
  archived: boolean;
  metadata: Record<string, string>;
  events: Array<{ id: string; type: string }>;
}

export function agentStates(store: Store): AgentState[] {
  return [...store.agents.values()].map((a) => {
    const current = a.versions.at(-1)!;
    return { id: current.id, name: current.name, version: current.version, archived: a.archived_at !== null };
  });
}

export function vaultStates(store: Store, revealTokens: boolean): VaultState[] {
  return [...store.vaults.values()].map((v) => ({
    id: v.wire.id,
    displayName: v.wire.display_name,
    metadata: { ...v.wire.metadata },
    archived: v.wire.archived_at !== null,
    credentials: [...v.credentials.values()].map((c) => ({
      id: c.wire.id,
      mcpServerUrl: c.wire.auth.mcp_server_url,
      token: revealTokens ? c.secret : '***',
      archived: c.wire.archived_at !== null,
    })),
  }));
}

export function sessionStates(store: Store): SessionState[] {
  return [...store.sessions.values()].map((s) => ({
    id: s.id,
    status: s.status,
    vaultIds: [...s.vault_ids],
    agentId: s.agent.id,
    archived: s.archived_at !== null,
    metadata: { ...s.metadata },
    events: s.log.entries.map(({ event }) => ({ id: event.id, type: event.type })),
  }));
}
