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
  agentId: string;
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
      agent: target.agentId,
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
        return { outcome: event.type === 'session.status_idle' ? 'completed' : 'terminated' };
      }
    }
    return { outcome: 'stream_ended' };
  };
}
