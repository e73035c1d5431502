import { z } from 'zod';
import { timestamp } from '../clock.js';
import { conflict, invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import { queryBool } from '../query.js';
import type { CredentialObject, CredentialRecord, VaultRecord } from '../store.js';
import { applyMetadataPatch, clearable, metadataPatchSchema, metadataSchema, parseBody } from '../validation.js';
import { param, type RouteContext } from './context.js';

const endpointAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('client_secret_basic'), client_secret: z.string().min(1) }),
  z.object({ type: z.literal('client_secret_post'), client_secret: z.string().min(1) }),
]);

const createAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('static_bearer'), mcp_server_url: z.url(), token: z.string().min(1) }),
  z.object({
    type: z.literal('mcp_oauth'),
    mcp_server_url: z.url(),
    access_token: z.string().min(1),
    expires_at: z.string().nullish(),
    refresh: z
      .object({
        client_id: z.string().min(1),
        refresh_token: z.string().min(1),
        token_endpoint: z.url(),
        token_endpoint_auth: endpointAuthSchema,
        resource: z.string().nullish(),
        scope: z.string().nullish(),
      })
      .nullish(),
  }),
]);

const updateAuthSchema = z.discriminatedUnion('type', [
  // `mcp_server_url` is not updatable; it is accepted only so that resending the same URL is harmless.
  z.object({
    type: z.literal('static_bearer'),
    token: z.string().min(1).nullish(),
    mcp_server_url: z.string().optional(),
  }),
  z.object({
    type: z.literal('mcp_oauth'),
    access_token: z.string().min(1).nullish(),
    expires_at: z.string().nullish(),
    mcp_server_url: z.string().optional(),
    refresh: z
      .object({
        refresh_token: z.string().min(1).nullish(),
        scope: z.string().nullish(),
        token_endpoint_auth: z
          .object({ type: z.enum(['client_secret_basic', 'client_secret_post']), client_secret: z.string().nullish() })
          .optional(),
      })
      .nullish(),
  }),
]);

const createSchema = z.object({
  auth: createAuthSchema,
  display_name: z.string().max(255).nullish(),
  metadata: metadataSchema.optional(),
});

const updateSchema = z.object({
  auth: updateAuthSchema.optional(),
  display_name: z.string().max(255).nullish(),
  metadata: metadataPatchSchema,
});

function authFromCreate(auth: z.output<typeof createAuthSchema>): Pick<
  CredentialRecord,
  'secret' | 'refreshSecrets'
> & {
  wire: CredentialObject['auth'];
} {
  if (auth.type === 'static_bearer') {
    return { wire: { type: auth.type, mcp_server_url: auth.mcp_server_url }, secret: auth.token };
  }
  const refresh = auth.refresh;
  return {
    wire: {
      type: auth.type,
      mcp_server_url: auth.mcp_server_url,
      expires_at: auth.expires_at ?? null,
      refresh: refresh
        ? {
            client_id: refresh.client_id,
            token_endpoint: refresh.token_endpoint,
            token_endpoint_auth: { type: refresh.token_endpoint_auth.type },
            resource: refresh.resource ?? null,
            scope: refresh.scope ?? null,
          }
        : null,
    },
    secret: auth.access_token,
    ...(refresh ? { refreshSecrets: { refresh_token: refresh.refresh_token, ...refresh.token_endpoint_auth } } : {}),
  };
}

/**
 * One active credential per MCP server URL per vault: otherwise which token the agent uses would be a
 * guess. Unconfirmed by Anthropic's own docs, so `settings.credentialUrlConflict` can switch it off.
 */
function assertUrlFree(vault: VaultRecord, url: string): void {
  for (const other of vault.credentials.values()) {
    if (!other.wire.archived_at && other.wire.auth.mcp_server_url === url) {
      throw conflict(`vault ${vault.wire.id} already has active credential ${other.wire.id} for ${url}`);
    }
  }
}

function applyAuthUpdate(record: CredentialRecord, auth: z.output<typeof updateAuthSchema>): void {
  const stored = record.wire.auth;
  if (auth.type !== stored.type) throw invalidRequest(`auth.type must stay '${stored.type}'`);
  if (auth.mcp_server_url !== undefined && auth.mcp_server_url !== stored.mcp_server_url) {
    throw invalidRequest('auth.mcp_server_url cannot be changed; create a new credential instead');
  }
  if (auth.type === 'static_bearer') {
    if (auth.token) record.secret = auth.token;
    return;
  }
  if (stored.type !== 'mcp_oauth') return;
  if (auth.access_token) record.secret = auth.access_token;
  if (auth.expires_at !== undefined) stored.expires_at = auth.expires_at;
  if (auth.refresh && stored.refresh) {
    if (auth.refresh.scope !== undefined) stored.refresh.scope = auth.refresh.scope;
    record.refreshSecrets = {
      ...record.refreshSecrets,
      ...(auth.refresh.refresh_token ? { refresh_token: auth.refresh.refresh_token } : {}),
      ...(auth.refresh.token_endpoint_auth ?? {}),
    };
    if (auth.refresh.token_endpoint_auth)
      stored.refresh.token_endpoint_auth = { type: auth.refresh.token_endpoint_auth.type };
  }
}

export function registerCredentialRoutes({ on, store, settings }: RouteContext): void {
  on('post', '/v1/vaults/:vault_id/credentials', (req, res) => {
    const vault = store.vault(param(req, 'vault_id'));
    const body = parseBody(createSchema, req.body);
    if (vault.wire.archived_at) throw invalidRequest(`vault ${vault.wire.id} is archived`);
    if (settings.credentialUrlConflict) assertUrlFree(vault, body.auth.mcp_server_url);
    const auth = authFromCreate(body.auth);
    const now = timestamp();
    const credential: CredentialRecord = {
      wire: {
        id: newId('vcrd'),
        type: 'vault_credential',
        vault_id: vault.wire.id,
        display_name: body.display_name ?? null,
        metadata: body.metadata ?? {},
        auth: auth.wire,
        created_at: now,
        updated_at: now,
        archived_at: null,
      },
      secret: auth.secret,
      ...(auth.refreshSecrets ? { refreshSecrets: auth.refreshSecrets } : {}),
    };
    vault.credentials.set(credential.wire.id, credential);
    res.json(credential.wire);
  });

  on('get', '/v1/vaults/:vault_id/credentials', (req, res) => {
    const includeArchived = queryBool(req, 'include_archived') ?? false;
    const credentials = [...store.vault(param(req, 'vault_id')).credentials.values()]
      .map((c) => c.wire)
      .filter((c) => includeArchived || !c.archived_at)
      .reverse();
    const { data, next_page } = paginate(req, credentials, { default: 20, max: 100 });
    res.json({ data, next_page });
  });

  on('get', '/v1/vaults/:vault_id/credentials/:credential_id', (req, res) => {
    res.json(store.credential(param(req, 'vault_id'), param(req, 'credential_id')).wire);
  });

  on('post', '/v1/vaults/:vault_id/credentials/:credential_id', (req, res) => {
    const record = store.credential(param(req, 'vault_id'), param(req, 'credential_id'));
    const body = parseBody(updateSchema, req.body);
    if (record.wire.archived_at) throw invalidRequest(`credential ${record.wire.id} is archived`);
    if (body.auth) applyAuthUpdate(record, body.auth);
    record.wire.display_name = clearable(body.display_name, record.wire.display_name);
    record.wire.metadata = applyMetadataPatch(record.wire.metadata, body.metadata);
    record.wire.updated_at = timestamp();
    res.json(record.wire);
  });

  on('delete', '/v1/vaults/:vault_id/credentials/:credential_id', (req, res) => {
    const vaultId = param(req, 'vault_id');
    const id = param(req, 'credential_id');
    store.credential(vaultId, id);
    store.vault(vaultId).credentials.delete(id);
    res.json({ id, type: 'vault_credential_deleted' });
  });

  on('post', '/v1/vaults/:vault_id/credentials/:credential_id/archive', (req, res) => {
    const record = store.credential(param(req, 'vault_id'), param(req, 'credential_id'));
    record.wire.archived_at ??= timestamp();
    res.json(record.wire);
  });
}
