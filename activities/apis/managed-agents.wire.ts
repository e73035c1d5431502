/**
 * The Managed Agents objects as the service sends them, named once. They are the installed SDK's own
 * types (the SDK is generated from the service's spec), so the port, the activities and the emulator,
 * which types its answers from this module, all break the typecheck together when the SDK moves.
 * Types only: the emulators may import this file, nothing else of the product.
 */
import type Anthropic from '@anthropic-ai/sdk';

export type Agent = Anthropic.Beta.Agents.BetaManagedAgentsAgent;
export type AgentCreateParams = Anthropic.Beta.Agents.AgentCreateParams;
export type Vault = Anthropic.Beta.Vaults.BetaManagedAgentsVault;
export type Credential = Anthropic.Beta.Vaults.BetaManagedAgentsCredential;
export type Session = Anthropic.Beta.Sessions.BetaManagedAgentsSession;
export type SessionCreateParams = Anthropic.Beta.Sessions.SessionCreateParams;
export type SessionListParams = Anthropic.Beta.Sessions.SessionListParams;
/** One event of a session's history (`GET …/events`). */
export type SessionEvent = Anthropic.Beta.Sessions.BetaManagedAgentsSessionEvent;
/** One frame of the live stream: a history event, or a preview (`event_start` / `event_delta`). */
export type StreamEvent = Anthropic.Beta.Sessions.BetaManagedAgentsStreamSessionEvents;
export type EventParams = Anthropic.Beta.Sessions.BetaManagedAgentsEventParams;
export type SessionStatus = Session['status'];
/** Where sessions run; its networking decides whether they can reach the MCP server. */
export type Environment = Anthropic.Beta.Environments.BetaEnvironment;

/**
 * The fields of a session event that a sweep reads. The SDK's union has some forty members, each
 * with a few of these; reading them through one view keeps the sweep's logic a plain `switch`.
 */
export interface SessionEventView {
  id?: string;
  type: string;
  name?: string;
  content?: Array<{ type: string; text?: string }>;
  stop_reason?: { type: string; event_ids?: string[] } | null;
  /** Tool uses: what the agent wants to run, and whether the service holds it for us (`ask`). */
  input?: Record<string, unknown>;
  evaluated_permission?: string | null;
  /** Tool results and confirmations name the tool use they answer. */
  mcp_tool_use_id?: string;
  tool_use_id?: string;
  model_usage?: { input_tokens?: number; output_tokens?: number };
  error?: { type?: string; message?: string; retry_status?: { type?: string } };
  is_error?: boolean | null;
}

/**
 * Session metadata that names the Temporal activity that created the session, so a retried attempt
 * that never heard the create's answer (no heartbeat) finds its session instead of making another.
 */
export const SESSION_OWNER_KEYS = {
  workflowId: 'inbox_agent_workflow_id',
  runId: 'inbox_agent_run_id',
  activityId: 'inbox_agent_activity_id',
} as const;
