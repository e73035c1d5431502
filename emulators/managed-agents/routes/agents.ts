import type { Request } from 'express';
import { z } from 'zod';
import type * as wire from '../../../activities/apis/managed-agents.wire.js';
import {
  checkMcpReferences,
  executionIdentitySchema,
  mcpServersSchema,
  modelSchema,
  multiagentSchema,
  resolveModel,
  resolveSkills,
  resolveTools,
  skillsSchema,
  toolsSchema,
  type AgentDefinition,
} from '../agent-config.js';
import { nowMicros, formatMicros, timestamp } from '../clock.js';
import { conflict, invalidRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import { createdAtFilter, queryBool, queryInt } from '../query.js';
import type { AgentRecord, AgentVersion } from '../store.js';
import { applyMetadataPatch, clearable, metadataPatchSchema, metadataSchema, parseBody } from '../validation.js';
import { param, type RouteContext } from './context.js';

const createSchema = z.object({
  name: z.string().min(1).max(256),
  model: modelSchema,
  description: z.string().max(2048).nullish(),
  system: z.string().max(100_000).nullish(),
  metadata: metadataSchema.optional(),
  mcp_servers: mcpServersSchema.optional(),
  tools: toolsSchema.optional(),
  skills: skillsSchema.optional(),
  multiagent: multiagentSchema.nullish(),
  execution_identity: executionIdentitySchema.nullish(),
});

const updateSchema = z.object({
  version: z.number().int().min(1).optional(),
  name: z.string().min(1).max(256).optional(),
  model: modelSchema.optional(),
  description: z.string().max(2048).nullish(),
  system: z.string().max(100_000).nullish(),
  metadata: metadataPatchSchema,
  mcp_servers: mcpServersSchema.nullish(),
  tools: toolsSchema.nullish(),
  skills: skillsSchema.nullish(),
  multiagent: multiagentSchema.nullish(),
  execution_identity: executionIdentitySchema.nullish(),
});

const LIST_LIMITS = { default: 20, max: 100 };

/**
 * Typed as the product's wire type (the SDK's own), so an answer the SDK's types would not describe
 * fails the typecheck. Two fields are asserted rather than checked: `multiagent`, echoed as the client
 * sent it (not modelled), and the built-in toolset's per-tool `configs`, whose names the request
 * validated but whose SDK type is a union per tool name that the emulator does not spell out.
 */
export function serializeAgent(record: AgentRecord, version?: AgentVersion): wire.Agent {
  const current = version ?? record.versions.at(-1)!;
  return { ...current, ...unmodelled(current), archived_at: record.archived_at };
}

/** The two fields `serializeAgent` asserts (see there); shared with the session's agent snapshot. */
export function unmodelled(agent: Pick<AgentVersion, 'multiagent' | 'tools'>) {
  return { multiagent: agent.multiagent as wire.Agent['multiagent'], tools: agent.tools as wire.Agent['tools'] };
}

/** Every field an update can change; a version is only cut when one of them really changes. */
function definitionOf(v: AgentVersion): AgentDefinition & { metadata: AgentVersion['metadata'] } {
  const { name, description, system, model, tools, mcp_servers, skills, multiagent, execution_identity, metadata } = v;
  return { name, description, system, model, tools, mcp_servers, skills, multiagent, execution_identity, metadata };
}

export function registerAgentRoutes({ on, store }: RouteContext): void {
  on('post', '/v1/agents', (req, res) => {
    const body = parseBody(createSchema, req.body);
    const tools = resolveTools(body.tools ?? []);
    const mcpServers = body.mcp_servers ?? [];
    checkMcpReferences(mcpServers, tools);
    const micros = nowMicros();
    const now = formatMicros(micros);
    const agent: AgentVersion = {
      id: newId('agent'),
      type: 'agent',
      name: body.name,
      description: clearable(body.description, null),
      system: clearable(body.system, null),
      model: resolveModel(body.model),
      tools,
      mcp_servers: mcpServers,
      skills: resolveSkills(body.skills ?? []),
      multiagent: body.multiagent ?? null,
      execution_identity: body.execution_identity ?? { type: 'service_account' },
      metadata: body.metadata ?? {},
      version: 1,
      created_at: now,
      updated_at: now,
    };
    const record: AgentRecord = { createdMicros: micros, versions: [agent], archived_at: null };
    store.agents.set(agent.id, record);
    res.json(serializeAgent(record));
  });

  on('get', '/v1/agents', (req, res) => {
    const includeArchived = queryBool(req, 'include_archived') ?? false;
    const inRange = createdAtFilter(req);
    const agents = [...store.agents.values()]
      .filter((a) => (includeArchived || !a.archived_at) && inRange(a.createdMicros))
      .reverse()
      .map((a) => serializeAgent(a));
    const { data, next_page } = paginate(req, agents, LIST_LIMITS);
    res.json({ data, next_page });
  });

  on('get', '/v1/agents/:agent_id', (req, res) => {
    const record = store.agent(param(req, 'agent_id'));
    res.json(serializeAgent(record, versionOf(req, record)));
  });

  on('post', '/v1/agents/:agent_id', (req, res) => {
    const id = param(req, 'agent_id');
    const record = store.agent(id);
    const body = parseBody(updateSchema, req.body);
    const current = record.versions.at(-1)!;
    if (body.version !== undefined && body.version !== current.version) {
      throw conflict(`agent ${id} is at version ${current.version}, not ${body.version}`);
    }
    if (record.archived_at) throw invalidRequest(`agent ${id} is archived and cannot be updated`);
    const next: AgentVersion = {
      ...current,
      name: body.name ?? current.name,
      description: clearable(body.description, current.description),
      system: clearable(body.system, current.system),
      model: body.model === undefined ? current.model : resolveModel(body.model),
      tools: body.tools === undefined ? current.tools : resolveTools(body.tools ?? []),
      mcp_servers: body.mcp_servers === undefined ? current.mcp_servers : (body.mcp_servers ?? []),
      skills: body.skills === undefined ? current.skills : resolveSkills(body.skills ?? []),
      multiagent: body.multiagent === undefined ? current.multiagent : body.multiagent,
      execution_identity:
        body.execution_identity === undefined
          ? current.execution_identity
          : (body.execution_identity ?? { type: 'service_account' }),
      metadata: applyMetadataPatch(current.metadata, body.metadata),
    };
    checkMcpReferences(next.mcp_servers, next.tools);
    if (JSON.stringify(definitionOf(next)) !== JSON.stringify(definitionOf(current))) {
      record.versions.push({ ...next, version: current.version + 1, updated_at: timestamp() });
    }
    res.json(serializeAgent(record));
  });

  on('post', '/v1/agents/:agent_id/archive', (req, res) => {
    const record = store.agent(param(req, 'agent_id'));
    record.archived_at ??= timestamp();
    res.json(serializeAgent(record));
  });

  on('get', '/v1/agents/:agent_id/versions', (req, res) => {
    const record = store.agent(param(req, 'agent_id'));
    const versions = [...record.versions].reverse();
    const { data, next_page } = paginate(req, versions, LIST_LIMITS, (v) => String(v.version));
    res.json({ data: data.map((v) => serializeAgent(record, v)), next_page });
  });
}

function versionOf(req: Request, record: AgentRecord): AgentVersion | undefined {
  const version = queryInt(req, 'version', 1, Number.MAX_SAFE_INTEGER);
  if (version === undefined) return undefined;
  const found = record.versions.find((v) => v.version === version);
  if (!found) throw notFound('agent version', `${record.versions[0]!.id}@${version}`);
  return found;
}
