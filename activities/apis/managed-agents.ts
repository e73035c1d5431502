import Anthropic, {
  APIConnectionError,
  APIError,
  APIUserAbortError,
  BadRequestError,
  ConflictError,
  NotFoundError,
} from '@anthropic-ai/sdk';
import { retryAfterMs } from './retry-after.js';
import type * as wire from './managed-agents.wire.js';

export type AgentUpdateParams = Anthropic.Beta.Agents.AgentUpdateParams;

/**
 * Everything the activities ask of Claude Managed Agents, and nothing more: the port they depend on.
 * Not-found and conflict answers that the callers act on come back as values (`undefined`), so no
 * activity needs to know the SDK's error classes; other failures are thrown as the SDK raises them
 * and classified by `managedAgentsFailure` (below), which the activities' failure wrapper calls.
 */
export interface ManagedAgentsPort {
  listAgents(): AsyncIterable<wire.Agent>;
  /** The agent as it is now (its latest version). */
  retrieveAgent(id: string): Promise<wire.Agent>;
  createAgent(params: wire.AgentCreateParams): Promise<wire.Agent>;
  updateAgent(id: string, params: AgentUpdateParams): Promise<wire.Agent>;

  /** Undefined when there is no such vault. */
  retrieveVault(id: string): Promise<wire.Vault | undefined>;
  listVaults(): AsyncIterable<wire.Vault>;
  createVault(displayName: string, metadata: Record<string, string>): Promise<wire.Vault>;
  archiveVault(id: string): Promise<void>;
  /** Undefined when there is no such credential in the vault. */
  retrieveCredential(vaultId: string, credentialId: string): Promise<wire.Credential | undefined>;
  listCredentials(vaultId: string): AsyncIterable<wire.Credential>;
  /** A `static_bearer` credential bound to the MCP URL; undefined when the service already holds one (409). */
  createBearerCredential(
    vaultId: string,
    credential: { displayName: string; mcpServerUrl: string; token: string },
  ): Promise<wire.Credential | undefined>;
  /**
   * The updated credential; undefined when it is gone (404) or refused as archived (400: the
   * emulator's reading, the docs name no code for it), so the caller looks it up again.
   */
  updateBearerToken(vaultId: string, credentialId: string, token: string): Promise<wire.Credential | undefined>;
  /** Archives the credential; one already gone is not an error. */
  archiveCredential(vaultId: string, credentialId: string): Promise<void>;

  createSession(params: wire.SessionCreateParams): Promise<wire.Session>;
  /** Undefined when there is no such session. */
  retrieveSession(sessionId: string): Promise<wire.Session | undefined>;
  /** Live (unarchived) sessions of the agent created at or after `createdSince`, oldest first. */
  listSessions(agentId: string, createdSince: Date): AsyncIterable<wire.Session>;
  /** The live stream; it has no replay, so open it before reading the history. */
  streamEvents(sessionId: string, signal: AbortSignal): Promise<AsyncIterable<wire.SessionEventView>>;
  listEvents(sessionId: string): AsyncIterable<wire.SessionEventView>;
  sendUserMessage(sessionId: string, text: string): Promise<void>;
  /**
   * Answers a tool use held by `always_ask`. False when the service says no such use waits (400):
   * another attempt answered it already, and the answer stands.
   */
  confirmToolUse(
    sessionId: string,
    toolUseId: string,
    answer: { result: 'allow' } | { result: 'deny'; denyMessage: string },
  ): Promise<boolean>;
  /** The API has no interrupt endpoint: a `user.interrupt` event jumps the queue and ends the turn. */
  interrupt(sessionId: string): Promise<void>;
  archiveSession(sessionId: string): Promise<void>;
  /** Undefined when there is no such environment. */
  retrieveEnvironment(id: string): Promise<wire.Environment | undefined>;
}

/** `undefined` for a 404, the value otherwise. */
async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

const noop = () => {};
/** Only the message line of what the SDK logs: it passes SSE data along with stream errors. */
const messageOnlyLogger = {
  error: (message: string) => console.error(`anthropic: ${message}`),
  warn: (message: string) => console.warn(`anthropic: ${message}`),
  info: noop,
  debug: noop,
};

/** The port over the official SDK. `maxRetries: 0`: Temporal owns retries. */
export function createManagedAgents(options: {
  apiKey: string;
  baseURL?: string;
  timeoutMs?: number;
}): ManagedAgentsPort {
  const sdk = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    // An SDK retry under Temporal's would multiply attempts and hide 429s.
    maxRetries: 0,
    timeout: options.timeoutMs ?? 30_000,
    // Explicit, so ANTHROPIC_LOG=debug cannot turn on request/response logging (a credential body
    // carries the session token, session events carry mail).
    logLevel: 'warn',
    logger: messageOnlyLogger,
  });
  const { agents, vaults, sessions } = sdk.beta;
  return {
    listAgents: () => agents.list({ limit: 100 }),
    retrieveAgent: (id) => agents.retrieve(id),
    createAgent: (params) => agents.create(params),
    updateAgent: (id, params) => agents.update(id, params),

    retrieveVault: (id) => unlessNotFound(vaults.retrieve(id)),
    listVaults: () => vaults.list({ limit: 100 }),
    createVault: (display_name, metadata) => vaults.create({ display_name, metadata }),
    archiveVault: async (id) => {
      await vaults.archive(id);
    },
    retrieveCredential: (vaultId, credentialId) =>
      unlessNotFound(vaults.credentials.retrieve(credentialId, { vault_id: vaultId })),
    listCredentials: (vaultId) => vaults.credentials.list(vaultId, { limit: 100 }),
    createBearerCredential: async (vaultId, { displayName, mcpServerUrl, token }) => {
      try {
        return await vaults.credentials.create(vaultId, {
          display_name: displayName,
          auth: { type: 'static_bearer', mcp_server_url: mcpServerUrl, token },
        });
      } catch (err) {
        if (err instanceof ConflictError) return undefined;
        throw err;
      }
    },
    updateBearerToken: async (vaultId, credentialId, token) => {
      try {
        return await vaults.credentials.update(credentialId, {
          vault_id: vaultId,
          auth: { type: 'static_bearer', token },
        });
      } catch (err) {
        if (err instanceof NotFoundError || err instanceof BadRequestError) return undefined;
        throw err;
      }
    },
    archiveCredential: async (vaultId, credentialId) => {
      await unlessNotFound(vaults.credentials.archive(credentialId, { vault_id: vaultId }));
    },

    createSession: (params) => sessions.create(params),
    retrieveSession: (sessionId) => unlessNotFound(sessions.retrieve(sessionId)),
    listSessions: (agentId, createdSince) =>
      sessions.list({ agent_id: agentId, 'created_at[gte]': createdSince.toISOString(), order: 'asc', limit: 100 }),
    streamEvents: async (sessionId, signal) =>
      // The view is the part of each event the sweep reads (managed-agents.wire.ts).
      (await sessions.events.stream(sessionId, {}, { signal })) as AsyncIterable<wire.SessionEventView>,
    listEvents: (sessionId) => sessions.events.list(sessionId, { limit: 1000 }) as AsyncIterable<wire.SessionEventView>,
    sendUserMessage: async (sessionId, text) => {
      await sessions.events.send(sessionId, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
    },
    confirmToolUse: async (sessionId, toolUseId, answer) => {
      const event =
        answer.result === 'allow'
          ? { type: 'user.tool_confirmation' as const, tool_use_id: toolUseId, result: 'allow' as const }
          : {
              type: 'user.tool_confirmation' as const,
              tool_use_id: toolUseId,
              result: 'deny' as const,
              deny_message: answer.denyMessage,
            };
      try {
        await sessions.events.send(sessionId, { events: [event] });
        return true;
      } catch (err) {
        if (err instanceof BadRequestError) return false;
        throw err;
      }
    },
    interrupt: async (sessionId) => {
      await sessions.events.send(sessionId, { events: [{ type: 'user.interrupt' }] });
    },
    archiveSession: async (sessionId) => {
      await sessions.archive(sessionId);
    },
    retrieveEnvironment: (id) => unlessNotFound(sdk.beta.environments.retrieve(id)),
  };
}

/**
 * What a Managed Agents failure means for a retry: an HTTP answer (status, retry-after), or an
 * `event: error` frame on the stream, which the SDK raises as an `APIError` without a status
 * (src/core/streaming.ts). Undefined for anything that did not come from this API.
 */
export function managedAgentsFailure(
  err: unknown,
):
  | { kind: 'http'; status: number; message: string; retryAfterMs?: number }
  | { kind: 'stream'; errorType: string; message: string }
  | undefined {
  if (!(err instanceof APIError) || err instanceof APIUserAbortError) return undefined;
  if (typeof err.status === 'number') {
    return {
      kind: 'http',
      status: err.status,
      // Status, error type and request id only: the SDK's own message echoes the response body.
      message: `Anthropic answered ${err.status}${err.type ? ` ${err.type}` : ''}${err.requestID ? ` (request ${err.requestID})` : ''}`,
      retryAfterMs: retryAfterMs(err.headers),
    };
  }
  if (err instanceof APIConnectionError) return undefined;
  const errorType = (err.error as { error?: { type?: string } } | undefined)?.error?.type ?? 'error';
  return { kind: 'stream', errorType, message: err.message };
}
