import type * as wire from '../../activities/apis/managed-agents.wire.js';
import type { AgentDefinition } from './agent-config.js';
import { notFound } from './errors.js';
import type { EventLog } from './events.js';
import type { SessionRunner } from './session-runner.js';
import type { Metadata } from './validation.js';

/** In-memory state of one emulator instance. Records keep wire-shaped fields plus what the wire never shows. */

/**
 * Compile-time only: the wire-shaped records below are what the product's wire types (the SDK's)
 * say the service sends, so a drift between emulator and SDK fails the typecheck.
 */
type Conforms<T extends W, W> = T;

export interface AgentVersion extends AgentDefinition {
  id: string;
  type: 'agent';
  metadata: Metadata;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface AgentRecord {
  createdMicros: number;
  versions: AgentVersion[];
  archived_at: string | null;
}

export interface EnvironmentObject {
  id: string;
  type: 'environment';
  name: string;
  description: string | null;
  metadata: Metadata;
  config: Record<string, unknown> & { type: 'cloud' | 'self_hosted' };
  scope?: 'organization' | 'account';
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface VaultObject {
  id: string;
  type: 'vault';
  display_name: string;
  metadata: Metadata;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export type VaultConforms = Conforms<VaultObject, wire.Vault>;

export interface VaultRecord {
  wire: VaultObject;
  credentials: Map<string, CredentialRecord>;
}

/** The `auth` block as returned: every secret stripped. */
export type CredentialAuth =
  | { type: 'static_bearer'; mcp_server_url: string }
  | {
      type: 'mcp_oauth';
      mcp_server_url: string;
      expires_at: string | null;
      refresh: Extract<wire.Credential['auth'], { type: 'mcp_oauth' }>['refresh'];
    };

export interface CredentialObject {
  id: string;
  type: 'vault_credential';
  vault_id: string;
  display_name: string | null;
  metadata: Metadata;
  auth: CredentialAuth;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export type CredentialConforms = Conforms<CredentialObject, wire.Credential>;

export interface CredentialRecord {
  wire: CredentialObject;
  /** The bearer sent to the MCP server: `token` (static_bearer) or `access_token` (mcp_oauth). */
  secret: string;
  /** Refresh-token material of an mcp_oauth credential; stored, never returned. */
  refreshSecrets?: Record<string, unknown>;
}

export type SessionStatus = 'rescheduling' | 'running' | 'idle' | 'terminated';

export interface SessionAgent extends AgentDefinition {
  id: string;
  type: 'agent';
  version: number;
}

export interface SessionUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_1h_input_tokens: number; ephemeral_5m_input_tokens: number };
}

export interface SessionRecord {
  id: string;
  createdMicros: number;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  status: SessionStatus;
  agent: SessionAgent;
  environment_id: string;
  vault_ids: string[];
  title: string | null;
  metadata: Metadata;
  budget: Record<string, unknown> | null;
  usage: SessionUsage;
  /** Running time already banked, plus the start of the current running stretch. */
  activeMicros: number;
  runningSince: number | null;
  log: EventLog;
  runner: SessionRunner;
}

export class Store {
  readonly agents = new Map<string, AgentRecord>();
  readonly environments = new Map<string, EnvironmentObject>();
  readonly vaults = new Map<string, VaultRecord>();
  readonly sessions = new Map<string, SessionRecord>();

  agent(id: string): AgentRecord {
    return this.agents.get(id) ?? throwNotFound('agent', id);
  }

  environment(id: string): EnvironmentObject {
    return this.environments.get(id) ?? throwNotFound('environment', id);
  }

  vault(id: string): VaultRecord {
    return this.vaults.get(id) ?? throwNotFound('vault', id);
  }

  credential(vaultId: string, credentialId: string): CredentialRecord {
    return this.vault(vaultId).credentials.get(credentialId) ?? throwNotFound('credential', credentialId);
  }

  session(id: string): SessionRecord {
    return this.sessions.get(id) ?? throwNotFound('session', id);
  }

  /**
   * The bearer for an MCP server URL, read from the session's vaults at call time (first vault wins),
   * so a token rotated with `credentials.update` reaches the next turn of an existing session.
   */
  mcpToken(vaultIds: string[], mcpServerUrl: string): string | undefined {
    for (const vaultId of vaultIds) {
      const vault = this.vaults.get(vaultId);
      if (!vault || vault.wire.archived_at) continue;
      for (const credential of vault.credentials.values()) {
        if (credential.wire.archived_at) continue;
        if (credential.wire.auth.mcp_server_url === mcpServerUrl) return credential.secret;
      }
    }
    return undefined;
  }

  clear(): void {
    for (const session of this.sessions.values()) {
      session.runner.dispose();
      session.log.close();
    }
    this.agents.clear();
    this.environments.clear();
    this.vaults.clear();
    this.sessions.clear();
  }
}

function throwNotFound(kind: string, id: string): never {
  throw notFound(kind, id);
}
