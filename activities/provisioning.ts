import { ErrorType, type ProvisionResult } from '../workflows/contract.js';
import type { ActivityDeps } from './deps.js';
import type { Session } from './apis/managed-agents.wire.js';
import {
  agentDefinition,
  DEFINITION_DIGEST_KEY,
  enabledTools,
  grantedToolNames,
  grantsAsBuilt,
  unheldTools,
  formerLookupNames,
  mcpConfigDefinition,
  sameMappings,
  wantedTools,
} from './definitions.js';
import { unexpectedAnswer } from './apis/answers.js';
import { nonRetryable } from './failures.js';
import { DOCUMENTED_NAMES, ToolCatalog, type ToolNames } from './tool-catalog.js';

export interface Provisioned {
  mcpConfigId: string;
  mcpServerUrl: string;
  agentId: string;
}

/**
 * The one-time build (find-or-create the Virtual MCP config and the agent, by name) and the cheap,
 * cached lookup that every sweep uses to find them again.
 */
export function createProvisioning({ scalekit, managedAgents, settings }: ActivityDeps) {
  let cached: Promise<Provisioned> | undefined;
  /** What the Virtual MCP server declares, learned on the first MCP use of this process. */
  const catalog = new ToolCatalog();

  async function findAgent(name: string) {
    for await (const agent of managedAgents.listAgents()) {
      if (agent.name === name && !agent.archived_at) return agent;
    }
    return undefined;
  }

  async function ensure(): Promise<ProvisionResult> {
    const wanted = mcpConfigDefinition(settings.mcpConfigName);
    let config = await scalekit.findConfigByName(wanted.name);
    const createdConfig = !config;
    if (!config) {
      config = await scalekit.createConfig(wanted);
    } else if (!sameMappings(config.connection_tool_mappings, wanted.connection_tool_mappings)) {
      config = await scalekit.updateConfig(config.id, {
        description: wanted.description,
        connection_tool_mappings: wanted.connection_tool_mappings,
      });
    }
    if (!config.mcp_server_url) {
      throw nonRetryable(ErrorType.InvalidRequest, `Virtual MCP config ${config.id} has no mcp_server_url`);
    }

    let agent = await findAgent(settings.agentName);
    // The names the server uses, once a sweep has read tools/list; else those the agent already grants
    // (a setup in a fresh process must not undo what a sweep learned); else Scalekit's documented ones.
    const granted = agent && enabledTools(agent.tools);
    const toolNames = catalog.names ?? (granted && (grantedToolNames(granted) ?? formerLookupNames(granted)));
    const { definition, digest } = agentDefinition(
      settings.agentName,
      settings.model,
      config.mcp_server_url,
      toolNames ?? undefined,
    );
    const metadata = { [DEFINITION_DIGEST_KEY]: digest };
    const createdAgent = !agent;
    let agentUpdated = false;
    if (!agent) {
      agent = await managedAgents.createAgent({ ...definition, metadata });
    } else if (
      agent.metadata?.[DEFINITION_DIGEST_KEY] !== digest ||
      // A tool granted outside setup (console, another script) is taken back even if the digest
      // matches, and so is a tool switched to run without the worker's confirmation.
      !grantsAsBuilt(agent.tools, toolNames ?? undefined)
    ) {
      agent = await managedAgents.updateAgent(agent.id, { ...definition, metadata, version: agent.version });
      agentUpdated = true;
    }
    cached = Promise.resolve({ mcpConfigId: config.id, mcpServerUrl: config.mcp_server_url, agentId: agent.id });
    return {
      mcpConfigId: config.id,
      mcpServerUrl: config.mcp_server_url,
      agentId: agent.id,
      agentVersion: agent.version,
      created: { mcpConfig: createdConfig, agent: createdAgent, agentUpdated },
    };
  }

  async function lookup(): Promise<Provisioned> {
    const config = await scalekit.findConfigByName(settings.mcpConfigName);
    const agent = config && (await findAgent(settings.agentName));
    if (!config || !agent) {
      throw nonRetryable(
        ErrorType.NotProvisioned,
        `no ${config ? 'agent' : 'Virtual MCP config'} named "${config ? settings.agentName : settings.mcpConfigName}": run setup first`,
      );
    }
    // Between deploying this code and running setup, the agent may still be an older, broader one.
    const granted = enabledTools(agent.tools);
    if (formerLookupNames(granted)) {
      // Set up by a version whose agent looked events up itself: narrowed here, as setup would.
      const narrowed = await ensure();
      return { mcpConfigId: narrowed.mcpConfigId, mcpServerUrl: narrowed.mcpServerUrl, agentId: narrowed.agentId };
    }
    if (!grantedToolNames(granted)) {
      throw nonRetryable(
        ErrorType.NotProvisioned,
        `agent "${settings.agentName}" grants other tools than a sweep needs (${granted.join(', ')}): run setup`,
      );
    }
    return { mcpConfigId: config.id, mcpServerUrl: config.mcp_server_url, agentId: agent.id };
  }

  /**
   * The tools a session's agent lets the model call, checked for exactly the sweep's tools: the
   * session's own snapshot of the agent, as the service resolved it when creating the session, so
   * what is checked is what will run, with no window in which the agent can change in between and
   * no agent read per session. Returns the names it grants them under (what the gate, the task and
   * the tracker use); throws `AgentVersionMismatch` for any other grant.
   */
  function sessionTools(agent: Session['agent']): ToolNames {
    // The check is only as good as the snapshot it reads: one without its tools is refused loudly.
    if (!Array.isArray(agent?.tools)) {
      throw unexpectedAnswer('POST /v1/sessions', "the session's agent snapshot has no tools list");
    }
    const granted = enabledTools(agent.tools);
    // The tools under the names the MCP server serves them (tools/list), or, before this process
    // has read it, under whichever names the agent grants its tools (plain or prefixed).
    const wanted = wantedTools(catalog.names ?? grantedToolNames(granted) ?? undefined);
    const extra = granted.filter((tool) => !wanted.includes(tool));
    const missing = wanted.filter((tool) => !granted.includes(tool));
    const unheld = unheldTools(agent.tools);
    if (extra.length + missing.length + unheld.length > 0) {
      throw nonRetryable(
        ErrorType.AgentVersionMismatch,
        `agent "${agent.name}" version ${agent.version} ` +
          [
            extra.length ? `grants tools a sweep must not have (${extra.join(', ')})` : '',
            missing.length ? `lacks ${missing.join(', ')}` : '',
            unheld.length ? `runs tools without the worker's confirmation (${unheld.join(', ')})` : '',
          ]
            .filter(Boolean)
            .join(' and ') +
          ': run setup',
      );
    }
    return grantedToolNames(granted) ?? DOCUMENTED_NAMES;
  }

  /**
   * The names the agent's tools go by, for an attempt that re-attaches to its session: learned from
   * `tools/list` in this process, else read off the agent's grants (a fresh process after a crash).
   */
  async function toolNames(): Promise<ToolNames> {
    if (catalog.names) return catalog.names;
    const { agentId } = await resolve();
    return grantedToolNames(enabledTools((await managedAgents.retrieveAgent(agentId)).tools)) ?? DOCUMENTED_NAMES;
  }

  /** Resolved once per worker process; a failed lookup is not remembered. */
  function resolve(): Promise<Provisioned> {
    cached ??= lookup().catch((err: unknown) => {
      cached = undefined;
      throw err;
    });
    return cached;
  }

  /**
   * Called with the names `tools/list` gave: when the agent grants its tools under other names (the
   * server prefixes them), the agent is defined again with the real ones, so it is offered exactly
   * exactly its tools; sweeps that resolve after this see the new version.
   */
  let adopted: string | undefined;
  async function adoptToolNames(names: ToolNames): Promise<void> {
    // Once per process and set of names: the agent is listed once, not on every sweep.
    if (adopted === JSON.stringify(names)) return;
    await adoptNow(names);
    adopted = JSON.stringify(names);
  }
  async function adoptNow(names: ToolNames): Promise<void> {
    const agent = await findAgent(settings.agentName);
    if (agent && grantsAsBuilt(agent.tools, names)) return;
    cached = undefined;
    await ensure();
  }

  return {
    ensure,
    resolve,
    sessionTools,
    catalog,
    adoptToolNames,
    toolNames,
  };
}

export type Provisioning = ReturnType<typeof createProvisioning>;
