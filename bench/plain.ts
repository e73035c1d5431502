/**
 * The baseline of the durability tax: the guide's straight-line "run a session" flow
 * (`seed-scalekit-managed-agents.txt`), in TypeScript, with the same clients the worker uses and no
 * Temporal. Check connections → mint a token → create or update the vault credential → create the
 * session, open the stream, send the task, read until idle. Ids are remembered in memory, as the
 * guide's `vault_id`/`credential_id` variables are.
 */
import Anthropic from '@anthropic-ai/sdk';
import { ScalekitApi } from '../activities/apis/scalekit.js';

export interface PlainEnv {
  SCALEKIT_ENV_URL: string;
  SCALEKIT_CLIENT_ID: string;
  SCALEKIT_CLIENT_SECRET: string;
  ANTHROPIC_BASE_URL: string;
  ANTHROPIC_API_KEY: string;
  ANTHROPIC_ENVIRONMENT_ID: string;
}

export interface PlainTarget {
  mcpConfigId: string;
  mcpServerUrl: string;
}

const TASK = 'Process my newest unread email: summarize it and create the Action Required calendar event.';

export function createPlainSweeper(env: PlainEnv, target: PlainTarget) {
  const scalekit = new ScalekitApi({
    envUrl: env.SCALEKIT_ENV_URL,
    clientId: env.SCALEKIT_CLIENT_ID,
    clientSecret: env.SCALEKIT_CLIENT_SECRET,
  });
  const anthropic = new Anthropic({ baseURL: env.ANTHROPIC_BASE_URL, apiKey: env.ANTHROPIC_API_KEY, maxRetries: 0 });
  const vaults = new Map<string, { vaultId: string; credentialId: string }>();
  // The guide's own agent (its tools run at once: `always_allow`), not the worker's, whose tools wait
  // for the worker's confirmation: a script that never confirms would stop at the first tool call and
  // measure a session that did nothing.
  let guideAgent: Promise<string> | undefined;
  const agentId = () =>
    (guideAgent ??= anthropic.beta.agents
      .create({
        name: 'Email Meeting Manager (plain baseline)',
        model: 'claude-haiku-4-5-20251001',
        system:
          'You are an email and calendar assistant. When invoked, you will:\n' +
          '1. Fetch the single most recent unread email from Gmail.\n' +
          '2. Summarize it in 2-3 sentences.\n' +
          "3. Create a Google Calendar event titled 'Action Required: <email subject>' with your summary as the description.",
        mcp_servers: [{ type: 'url', name: 'email-calendar-mcp', url: target.mcpServerUrl }],
        tools: [
          { type: 'agent_toolset_20260401', default_config: { enabled: true } },
          {
            type: 'mcp_toolset',
            mcp_server_name: 'email-calendar-mcp',
            default_config: { enabled: true, permission_policy: { type: 'always_allow' } },
          },
        ],
      })
      .then((agent) => agent.id));

  return async function plainSweep(identifier: string): Promise<{ outcome: string }> {
    const accounts = await scalekit.listConfigAccounts(target.mcpConfigId, identifier, false);
    if (accounts.some((a) => a.connected_account_status !== 'ACTIVE')) return { outcome: 'inactive' };
    const { token } = await scalekit.createSessionToken(target.mcpConfigId, identifier, 3600);

    let ids = vaults.get(identifier);
    if (ids) {
      await anthropic.beta.vaults.credentials.update(ids.credentialId, {
        vault_id: ids.vaultId,
        auth: { type: 'static_bearer', token },
      });
    } else {
      const vault = await anthropic.beta.vaults.create({ display_name: 'email-calendar-vault' });
      const credential = await anthropic.beta.vaults.credentials.create(vault.id, {
        display_name: 'email-calendar-credential',
        auth: { type: 'static_bearer', mcp_server_url: target.mcpServerUrl, token },
      });
      ids = { vaultId: vault.id, credentialId: credential.id };
      vaults.set(identifier, ids);
    }

    const session = await anthropic.beta.sessions.create({
      agent: await agentId(),
      environment_id: env.ANTHROPIC_ENVIRONMENT_ID,
      vault_ids: [ids.vaultId],
    });
    const stream = await anthropic.beta.sessions.events.stream(session.id);
    await anthropic.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: TASK }] }],
    });
    for await (const event of stream) {
      if (event.type === 'session.status_idle' || event.type === 'session.status_terminated') {
        stream.controller.abort();
        // Only a turn that ended is a sweep done; an idle that waits for a tool confirmation is not.
        if (event.type === 'session.status_terminated') return { outcome: 'terminated' };
        return { outcome: event.stop_reason?.type === 'end_turn' ? 'completed' : `idle_${event.stop_reason?.type}` };
      }
    }
    return { outcome: 'stream_ended' };
  };
}
