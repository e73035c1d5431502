import { z } from 'zod';
import type * as wire from '../../../activities/apis/managed-agents.wire.js';
import {
  checkMcpReferences,
  mcpServersSchema,
  modelSchema,
  resolveModel,
  resolveSkills,
  resolveTools,
  skillsSchema,
  toolsSchema,
} from '../agent-config.js';
import { formatMicros, nowMicros, timestamp } from '../clock.js';
import { invalidRequest, notFound, stateConflict } from '../errors.js';
import { EventLog } from '../events.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import { createdAtFilter, queryBool, queryInt, queryList, queryOrder, queryString } from '../query.js';
import { SessionRunner } from '../session-runner.js';
import type { SessionAgent, SessionRecord } from '../store.js';
import { applyMetadataPatch, clearable, metadataPatchSchema, metadataSchema, parseBody } from '../validation.js';
import { unmodelled } from './agents.js';
import { param, type RouteContext } from './context.js';
import { acceptClientEvents, userMessageSchema } from './events.js';

const agentRefSchema = z.union([
  z.string().min(1),
  z.object({ type: z.literal('agent'), id: z.string().min(1), version: z.number().int().min(1).optional() }),
  z.object({
    type: z.literal('agent_with_overrides'),
    id: z.string().min(1),
    version: z.number().int().min(1).optional(),
    model: modelSchema.optional(),
    system: z.string().max(100_000).nullish(),
    tools: toolsSchema.optional(),
    mcp_servers: mcpServersSchema.optional(),
    skills: skillsSchema.optional(),
  }),
]);

const budgetSchema = z.looseObject({ type: z.literal('limit'), max_list_cost: z.looseObject({}) });

const createSchema = z.object({
  agent: agentRefSchema,
  environment_id: z.string().min(1),
  title: z.string().max(512).nullish(),
  metadata: metadataSchema.optional(),
  vault_ids: z.array(z.string().min(1)).max(20).optional(),
  budget: budgetSchema.nullish(),
  resources: z.array(z.unknown()).max(0, 'resources: session resources are not emulated').optional(),
  initial_events: z.array(userMessageSchema).max(50).optional(),
});

const updateSchema = z.object({
  title: z.string().max(512).nullish(),
  metadata: metadataPatchSchema,
  budget: budgetSchema.nullish(),
  agent: z.object({ tools: toolsSchema.optional(), mcp_servers: mcpServersSchema.optional() }).optional(),
});

const STATUSES = new Set<string>(['rescheduling', 'running', 'idle', 'terminated']);

const seconds = (micros: number): number => Math.round(micros / 1000) / 1000;

/**
 * Typed as the product's wire type (the SDK's own), so an answer the SDK's types would not describe
 * fails the typecheck. `budget` is echoed as the client sent it (not modelled); for the agent, see
 * `serializeAgent`.
 */
export function serializeSession(s: SessionRecord): wire.Session {
  const now = nowMicros();
  const active = seconds(s.activeMicros + (s.runningSince === null ? 0 : now - s.runningSince));
  return {
    id: s.id,
    type: 'session',
    status: s.status,
    agent: {
      ...s.agent,
      ...unmodelled(s.agent),
      multiagent: s.agent.multiagent as wire.Session['agent']['multiagent'],
    },
    environment_id: s.environment_id,
    vault_ids: s.vault_ids,
    title: s.title,
    metadata: s.metadata,
    resources: [],
    outcome_evaluations: [],
    stats: { active_seconds: active, duration_seconds: seconds(now - s.createdMicros) },
    usage: { ...s.usage, active_seconds: active },
    budget: s.budget as wire.Session['budget'],
    created_at: s.created_at,
    updated_at: s.updated_at,
    archived_at: s.archived_at,
  };
}

export function registerSessionRoutes({ on, store, runnerDeps }: RouteContext): void {
  /** The agent a session runs: a snapshot of one version, with any per-session overrides applied. */
  function snapshotAgent(ref: z.output<typeof agentRefSchema>): SessionAgent {
    const id = typeof ref === 'string' ? ref : ref.id;
    const record = store.agent(id);
    const wanted = typeof ref === 'string' ? undefined : ref.version;
    const version = wanted === undefined ? record.versions.at(-1) : record.versions.find((v) => v.version === wanted);
    if (!version) throw notFound('agent version', `${id}@${wanted}`);
    if (record.archived_at) throw invalidRequest(`agent ${id} is archived`);
    const { name, description, system, model, tools, mcp_servers, skills, multiagent, execution_identity } = version;
    const agent: SessionAgent = {
      id,
      type: 'agent',
      name,
      description,
      system,
      model,
      tools,
      mcp_servers,
      skills,
      multiagent,
      execution_identity,
      version: version.version,
    };
    if (typeof ref === 'string' || ref.type === 'agent') return agent;
    if (ref.model !== undefined) agent.model = resolveModel(ref.model);
    agent.system = clearable(ref.system, agent.system);
    if (ref.tools !== undefined) agent.tools = resolveTools(ref.tools);
    if (ref.mcp_servers !== undefined) agent.mcp_servers = ref.mcp_servers;
    if (ref.skills !== undefined) agent.skills = resolveSkills(ref.skills);
    checkMcpReferences(agent.mcp_servers, agent.tools);
    return agent;
  }

  on('post', '/v1/sessions', (req, res) => {
    const body = parseBody(createSchema, req.body);
    const agent = snapshotAgent(body.agent);
    const environment = store.environment(body.environment_id);
    if (environment.archived_at) throw invalidRequest(`environment ${environment.id} is archived`);
    const vaultIds = body.vault_ids ?? [];
    for (const vaultId of vaultIds) {
      if (store.vault(vaultId).wire.archived_at) throw invalidRequest(`vault ${vaultId} is archived`);
    }
    const micros = nowMicros();
    const now = formatMicros(micros);
    const base: Omit<SessionRecord, 'runner'> = {
      id: newId('sesn'),
      createdMicros: micros,
      created_at: now,
      updated_at: now,
      archived_at: null,
      status: 'idle',
      agent,
      environment_id: environment.id,
      vault_ids: vaultIds,
      title: body.title ?? null,
      metadata: body.metadata ?? {},
      budget: body.budget ?? null,
      usage: {
        input_tokens: 0,
        output_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
      },
      activeMicros: 0,
      runningSince: null,
      log: new EventLog(),
    };
    const session: SessionRecord = Object.assign(base, { runner: new SessionRunner(base, runnerDeps) });
    store.sessions.set(session.id, session);
    acceptClientEvents(session, body.initial_events ?? []);
    res.json(serializeSession(session));
  });

  on('get', '/v1/sessions', (req, res) => {
    const agentId = queryString(req, 'agent_id');
    const agentVersion = queryInt(req, 'agent_version', 1, Number.MAX_SAFE_INTEGER);
    const statuses = queryList(req, 'statuses');
    for (const status of statuses)
      if (!STATUSES.has(status)) throw invalidRequest(`statuses: unknown status ${status}`);
    const includeArchived = queryBool(req, 'include_archived') ?? false;
    const inRange = createdAtFilter(req);
    const sessions = [...store.sessions.values()].filter(
      (s) =>
        (agentId === undefined || s.agent.id === agentId) &&
        (agentVersion === undefined || s.agent.version === agentVersion) &&
        (statuses.length === 0 || statuses.includes(s.status)) &&
        (includeArchived || !s.archived_at) &&
        inRange(s.createdMicros),
    );
    if (queryOrder(req, 'desc') === 'desc') sessions.reverse();
    const page = paginate(req, sessions, { default: 20, max: 100 });
    res.json({ ...page, data: page.data.map(serializeSession) });
  });

  on('get', '/v1/sessions/:session_id', (req, res) => {
    res.json(serializeSession(store.session(param(req, 'session_id'))));
  });

  on('post', '/v1/sessions/:session_id', (req, res) => {
    const session = store.session(param(req, 'session_id'));
    if (req.body && typeof req.body === 'object' && 'vault_ids' in req.body) {
      throw invalidRequest('vault_ids cannot be changed after a session is created');
    }
    const body = parseBody(updateSchema, req.body);
    const changed: Record<string, unknown> = {};
    if (body.title !== undefined && body.title !== session.title) session.title = changed.title = body.title;
    if (body.metadata) session.metadata = changed.metadata = applyMetadataPatch(session.metadata, body.metadata);
    if (body.budget !== undefined) session.budget = changed.budget = body.budget;
    if (body.agent && (body.agent.tools || body.agent.mcp_servers)) {
      const tools = body.agent.tools ? resolveTools(body.agent.tools) : session.agent.tools;
      const mcpServers = body.agent.mcp_servers ?? session.agent.mcp_servers;
      checkMcpReferences(mcpServers, tools);
      // A new object, so a turn already under way keeps the configuration it started with.
      session.agent = changed.agent = { ...session.agent, tools, mcp_servers: mcpServers };
    }
    if (Object.keys(changed).length > 0) {
      session.updated_at = timestamp();
      session.log.append({ type: 'session.updated', ...changed });
    }
    res.json(serializeSession(session));
  });

  on('delete', '/v1/sessions/:session_id', (req, res) => {
    const session = store.session(param(req, 'session_id'));
    session.log.append({ type: 'session.deleted' });
    session.log.close();
    session.runner.dispose();
    store.sessions.delete(session.id);
    res.json({ id: session.id, type: 'session_deleted' });
  });

  on('post', '/v1/sessions/:session_id/archive', (req, res) => {
    const session = store.session(param(req, 'session_id'));
    // Assumed from partial evidence (real-service-evidence.md A28: Anthropic's session-operations page,
    // cut off in our copy, and a third-party mirror of it): a running session cannot be archived,
    // "interrupt first". Idle (a parked `requires_action` included) and terminated sessions can.
    if (!session.archived_at && (session.status === 'running' || session.status === 'rescheduling')) {
      throw stateConflict(
        `session ${session.id} is ${session.status}: interrupt it and wait for idle before archiving`,
      );
    }
    session.archived_at ??= timestamp();
    res.json(serializeSession(session));
  });
}
