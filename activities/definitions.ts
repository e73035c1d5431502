import { createHash } from 'node:crypto';
import type { AgentCreateParams } from '@anthropic-ai/sdk/resources/beta/agents/agents';
import type { McpConfigDefinition } from './apis/scalekit.js';

/** The tools each Scalekit connection exposes through the Virtual MCP server (from the guide). */
export const GMAIL_TOOLS = ['gmail_fetch_mails'];
export const GCAL_TOOLS = [
  'googlecalendar_list_calendars',
  'googlecalendar_list_events',
  'googlecalendar_get_event_by_id',
  'googlecalendar_create_event',
  'googlecalendar_update_event',
];

export const MCP_SERVER_NAME = 'email-calendar-mcp';

export const SYSTEM_PROMPT =
  'You are an email and calendar assistant. When invoked, you will:\n' +
  '1. Fetch the single most recent unread email from Gmail.\n' +
  '2. Summarize it in 2-3 sentences.\n' +
  "3. Create a Google Calendar event titled 'Action Required: <email subject>' " +
  'with your summary as the description.';

/**
 * The task each sweep sends. The system prompt is the guide's; this adds what a recurring sweep
 * needs: an email that stays unread until the user reads it must not get a second event.
 */
export const DEFAULT_TASK =
  'Process my newest unread email: summarize it and create the Action Required calendar event. ' +
  'First list calendar events matching that title; if one already exists, do not create another.';

export function mcpConfigDefinition(name: string): McpConfigDefinition {
  return {
    name,
    description: 'inbox-agent: Gmail and Google Calendar for per-user inbox sweeps',
    connection_tool_mappings: [
      { connection_name: 'gmail', tools: GMAIL_TOOLS },
      { connection_name: 'googlecalendar', tools: GCAL_TOOLS },
    ],
  };
}

/** The agent carries the MCP server URL but no credential: sessions bring those through vaults. */
export function agentDefinition(name: string, model: string, mcpServerUrl: string) {
  const definition = {
    name,
    model,
    system: SYSTEM_PROMPT,
    mcp_servers: [{ type: 'url' as const, name: MCP_SERVER_NAME, url: mcpServerUrl }],
    tools: [
      { type: 'agent_toolset_20260401' as const, default_config: { enabled: true } },
      {
        type: 'mcp_toolset' as const,
        mcp_server_name: MCP_SERVER_NAME,
        default_config: { enabled: true, permission_policy: { type: 'always_allow' as const } },
      },
    ],
  } satisfies AgentCreateParams;
  // The service returns tools fully resolved, so drift is detected by a hash of what we sent.
  const digest = createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 32);
  return { definition, digest };
}

export const DEFINITION_DIGEST_KEY = 'inbox_agent_definition';
export const IDENTIFIER_METADATA_KEY = 'inbox_agent_identifier';

/** Same connections and tools, whatever the order. */
export function sameMappings(a: McpConfigDefinition['connection_tool_mappings'], b: typeof a): boolean {
  const key = (m: typeof a) =>
    JSON.stringify(
      m.map((x) => [x.connection_name, [...x.tools].sort()]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
  return key(a) === key(b);
}
