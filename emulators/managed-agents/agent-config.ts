import { z } from 'zod';
import { invalidRequest } from './errors.js';

/** Request schemas and server-side resolution for the agent fields that sessions also snapshot and override. */

const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;
const AGENT_TOOLS = ['bash', 'edit', 'read', 'write', 'glob', 'grep', 'web_fetch', 'web_search'] as const;

const policySchema = z.object({ type: z.enum(['always_allow', 'always_ask', 'auto']) });
export type PermissionPolicy = z.output<typeof policySchema>;

export const modelSchema = z.union([
  z.string().min(1),
  z.object({
    id: z.string().min(1),
    effort: z.union([z.enum(EFFORTS), z.object({ type: z.enum(EFFORTS) })]).nullish(),
    inference_geo: z.string().nullish(),
    speed: z.enum(['standard', 'fast']).nullish(),
  }),
]);

const defaultConfigSchema = z.object({ enabled: z.boolean().nullish(), permission_policy: policySchema.nullish() });
const toolConfigFields = { enabled: z.boolean().nullish(), permission_policy: policySchema.nullish() };

const toolSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('agent_toolset_20260401'),
    default_config: defaultConfigSchema.nullish(),
    configs: z
      .array(z.object({ name: z.enum(AGENT_TOOLS), type: z.enum(AGENT_TOOLS).optional(), ...toolConfigFields }))
      .optional(),
  }),
  z.object({
    type: z.literal('mcp_toolset'),
    mcp_server_name: z.string().min(1).max(255),
    default_config: defaultConfigSchema.nullish(),
    configs: z.array(z.object({ name: z.string().min(1).max(128), ...toolConfigFields })).optional(),
  }),
  z.object({
    type: z.literal('custom'),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'custom tool name: 1-128 letters, digits, _ or -'),
    description: z.string(),
    input_schema: z.looseObject({ type: z.literal('object') }),
  }),
]);

export const toolsSchema = z.array(toolSchema).max(256);
export const mcpServersSchema = z
  .array(z.object({ type: z.literal('url'), name: z.string().min(1).max(255), url: z.url() }))
  .max(20);
export const skillsSchema = z.array(
  z.object({ type: z.enum(['anthropic', 'custom']), skill_id: z.string().min(1), version: z.string().nullish() }),
);
export const executionIdentitySchema = z.union([
  z.object({ type: z.literal('service_account') }),
  z.object({ type: z.literal('aws_role'), role_arn: z.string().min(1).max(2048) }),
]);
/** Multiagent topologies are stored and echoed as sent; the emulated agent is single-threaded. */
export const multiagentSchema = z.looseObject({ type: z.string() });

export interface ModelConfig {
  id: string;
  speed: 'standard' | 'fast';
  effort?: { type: (typeof EFFORTS)[number] };
  inference_geo?: string;
}

interface ResolvedDefaultConfig {
  enabled: boolean;
  permission_policy: PermissionPolicy;
}

export interface McpToolset {
  type: 'mcp_toolset';
  mcp_server_name: string;
  default_config: ResolvedDefaultConfig;
  configs: Array<{ name: string } & ResolvedDefaultConfig>;
}

export type Tool =
  | {
      type: 'agent_toolset_20260401';
      default_config: ResolvedDefaultConfig;
      configs: Array<{ name: string; type: string } & ResolvedDefaultConfig>;
    }
  | McpToolset
  | { type: 'custom'; name: string; description: string; input_schema: Record<string, unknown> };

export type McpServer = z.output<typeof mcpServersSchema>[number];
export type Skill = { type: 'anthropic' | 'custom'; skill_id: string; version: string };
export type ExecutionIdentity = z.output<typeof executionIdentitySchema>;

/** The agent definition a session runs: what `agents` version and what the session snapshot share. */
export interface AgentDefinition {
  name: string;
  description: string | null;
  system: string | null;
  model: ModelConfig;
  tools: Tool[];
  mcp_servers: McpServer[];
  skills: Skill[];
  multiagent: Record<string, unknown> | null;
  execution_identity: ExecutionIdentity;
}

export function resolveModel(model: z.output<typeof modelSchema>): ModelConfig {
  if (typeof model === 'string') return { id: model, speed: 'standard' };
  const resolved: ModelConfig = { id: model.id, speed: model.speed ?? 'standard' };
  if (model.effort) resolved.effort = typeof model.effort === 'string' ? { type: model.effort } : model.effort;
  if (model.inference_geo) resolved.inference_geo = model.inference_geo;
  return resolved;
}

function resolveDefaults(
  config: z.output<typeof defaultConfigSchema> | null | undefined,
  policy: PermissionPolicy['type'],
): ResolvedDefaultConfig {
  return { enabled: config?.enabled ?? true, permission_policy: config?.permission_policy ?? { type: policy } };
}

/** Fills in the defaults the server stores: agent tools are `always_allow`, MCP tools `always_ask`. */
export function resolveTools(tools: z.output<typeof toolsSchema>): Tool[] {
  return tools.map((tool): Tool => {
    if (tool.type === 'custom') return tool;
    if (tool.type === 'agent_toolset_20260401') {
      const defaults = resolveDefaults(tool.default_config, 'always_allow');
      return {
        type: tool.type,
        default_config: defaults,
        configs: (tool.configs ?? []).map((c) => ({
          name: c.name,
          type: c.name,
          enabled: c.enabled ?? defaults.enabled,
          permission_policy: c.permission_policy ?? defaults.permission_policy,
        })),
      };
    }
    const defaults = resolveDefaults(tool.default_config, 'always_ask');
    return {
      type: tool.type,
      mcp_server_name: tool.mcp_server_name,
      default_config: defaults,
      configs: (tool.configs ?? []).map((c) => ({
        name: c.name,
        enabled: c.enabled ?? defaults.enabled,
        permission_policy: c.permission_policy ?? defaults.permission_policy,
      })),
    };
  });
}

export function resolveSkills(skills: z.output<typeof skillsSchema>): Skill[] {
  return skills.map((s) => ({ type: s.type, skill_id: s.skill_id, version: s.version ?? 'latest' }));
}

/** Server names are unique, and every server and every MCP toolset point at each other. */
export function checkMcpReferences(servers: McpServer[], tools: Tool[]): void {
  const names = new Set<string>();
  for (const server of servers) {
    if (names.has(server.name)) throw invalidRequest(`mcp_servers: duplicate name '${server.name}'`);
    names.add(server.name);
  }
  const referenced = new Set<string>();
  for (const tool of tools) {
    if (tool.type !== 'mcp_toolset') continue;
    if (!names.has(tool.mcp_server_name)) {
      throw invalidRequest(`tools: mcp_toolset references unknown MCP server '${tool.mcp_server_name}'`);
    }
    referenced.add(tool.mcp_server_name);
  }
  for (const name of names) {
    if (!referenced.has(name)) throw invalidRequest(`mcp_servers: '${name}' is not referenced by any mcp_toolset`);
  }
}

/** Whether a tool of an MCP server may be offered to the model, and under which permission policy. */
export function mcpToolAccess(toolset: McpToolset, toolName: string): ResolvedDefaultConfig {
  const override = toolset.configs.find((c) => c.name === toolName);
  return override ?? toolset.default_config;
}

/**
 * The tools of a connected MCP server that the model is offered: the server's tools that the agent's
 * toolset enables. The platform never shows the model another tool, so nothing the model reads (an
 * email asking for "your forwarding tool") can reach one; `refusal` answers a call to any other.
 */
export function offeredMcpTools(toolset: McpToolset, serverTools: string[]): string[] {
  return serverTools.filter((name) => mcpToolAccess(toolset, name).enabled);
}

/** The tool result the platform returns, without calling the server, for a tool the agent was not given. */
export function refusal(toolset: McpToolset, offered: string[], toolName: string): string | undefined {
  if (offered.includes(toolName)) return undefined;
  return `Tool '${toolName}' is not available: the agent's mcp_toolset for '${toolset.mcp_server_name}' does not enable it.`;
}
