import { ErrorType, type ProvisionResult } from '../workflows/contract.js';
import type { ActivityDeps } from './deps.js';
import {
  agentDefinition,
  DEFINITION_DIGEST_KEY,
  enabledTools,
  mcpConfigDefinition,
  sameMappings,
  WANTED_TOOLS,
} from './definitions.js';
import { nonRetryable } from './failures.js';

export interface Provisioned {
  mcpConfigId: string;
  mcpServerUrl: string;
  agentId: string;
}

/** The agent version a session is created with: the one whose tools were just checked. */
export interface PinnedAgent {
  agentId: string;
  version: number;
}

/**
 * The one-time build (find-or-create the Virtual MCP config and the agent, by name) and the cheap,
 * cached lookup that every sweep uses to find them again.
 */
export function createProvisioning({ scalekit, managedAgents, settings }: ActivityDeps) {
  let cached: Promise<Provisioned> | undefined;
  /** The last version that passed the tool check, per agent: a version never changes once made. */
  const checkedVersion = new Map<string, number>();

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

    const { definition, digest } = agentDefinition(settings.agentName, settings.model, config.mcp_server_url);
    const metadata = { [DEFINITION_DIGEST_KEY]: digest };
    let agent = await findAgent(definition.name);
    const createdAgent = !agent;
    let agentUpdated = false;
    if (!agent) {
      agent = await managedAgents.createAgent({ ...definition, metadata });
    } else if (
      agent.metadata?.[DEFINITION_DIGEST_KEY] !== digest ||
      // A tool granted outside setup (console, another script) is taken back even if the digest matches.
      JSON.stringify(enabledTools(agent.tools)) !== JSON.stringify(WANTED_TOOLS)
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
    if (JSON.stringify(granted) !== JSON.stringify(WANTED_TOOLS)) {
      throw nonRetryable(
        ErrorType.NotProvisioned,
        `agent "${settings.agentName}" grants other tools than a sweep needs (${granted.join(', ')}): run setup`,
      );
    }
    return { mcpConfigId: config.id, mcpServerUrl: config.mcp_server_url, agentId: agent.id };
  }

  /**
   * The agent's current version, checked for exactly the sweep's tools whenever this worker sees a
   * version it has not checked (an update made anywhere bumps it), for sessions to be created with:
   * pinning the version closes the gap between this check and the create, in which the agent could
   * change again. One retrieve per session; the check itself is pure.
   */
  async function pinnedAgent(): Promise<PinnedAgent> {
    const { agentId } = await resolve();
    const agent = await managedAgents.retrieveAgent(agentId);
    if (checkedVersion.get(agentId) !== agent.version) {
      const granted = enabledTools(agent.tools);
      const extra = granted.filter((tool) => !WANTED_TOOLS.includes(tool));
      const missing = WANTED_TOOLS.filter((tool) => !granted.includes(tool));
      if (extra.length + missing.length > 0) {
        throw nonRetryable(
          ErrorType.AgentVersionMismatch,
          `agent "${agent.name}" version ${agent.version} ` +
            [
              extra.length ? `grants tools a sweep must not have (${extra.join(', ')})` : '',
              missing.length ? `lacks ${missing.join(', ')}` : '',
            ]
              .filter(Boolean)
              .join(' and ') +
            ': run setup',
        );
      }
      checkedVersion.set(agentId, agent.version);
    }
    return { agentId, version: agent.version };
  }

  /** Resolved once per worker process; a failed lookup is not remembered. */
  function resolve(): Promise<Provisioned> {
    cached ??= lookup().catch((err: unknown) => {
      cached = undefined;
      throw err;
    });
    return cached;
  }

  return {
    ensure,
    resolve,
    pinnedAgent,
  };
}

export type Provisioning = ReturnType<typeof createProvisioning>;
