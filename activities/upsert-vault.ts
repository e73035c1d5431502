import type Anthropic from '@anthropic-ai/sdk';
import { NotFoundError } from '@anthropic-ai/sdk';
import type { SealedSecret, VaultRef } from '../workflows/contract.js';
import type { ActivityDeps } from './deps.js';
import { IDENTIFIER_METADATA_KEY } from './definitions.js';
import type { Provisioning } from './provisioning.js';

type Credential = Anthropic.Beta.Vaults.BetaManagedAgentsCredential;

/**
 * One vault per identifier (tagged in its metadata) holding one `static_bearer` credential bound to
 * the MCP server URL. First run creates both; later runs only replace the token.
 */
export function createUpsertVault(deps: ActivityDeps, provisioning: Provisioning) {
  const { anthropic, sealer, vaultIds } = deps;

  const matches = (c: Credential, url: string) =>
    !c.archived_at && c.auth.type === 'static_bearer' && 'mcp_server_url' in c.auth && c.auth.mcp_server_url === url;

  /** The remembered ids, if both still exist, are live, and belong to this user and URL. */
  async function verifyRemembered(identifier: string, url: string) {
    const remembered = await vaultIds.get(identifier);
    if (!remembered) return undefined;
    try {
      const vault = await anthropic.beta.vaults.retrieve(remembered.vaultId);
      if (vault.archived_at || vault.metadata?.[IDENTIFIER_METADATA_KEY] !== identifier) return undefined;
      const credential = await anthropic.beta.vaults.credentials.retrieve(remembered.credentialId, {
        vault_id: remembered.vaultId,
      });
      return matches(credential, url) ? remembered : undefined;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async function findVaultByMetadata(identifier: string) {
    for await (const vault of anthropic.beta.vaults.list({ limit: 100 })) {
      if (!vault.archived_at && vault.metadata?.[IDENTIFIER_METADATA_KEY] === identifier) return vault;
    }
    return undefined;
  }

  async function findCredential(vaultId: string, url: string) {
    for await (const credential of anthropic.beta.vaults.credentials.list(vaultId, { limit: 100 })) {
      if (matches(credential, url)) return credential;
    }
    return undefined;
  }

  return async function upsertVault(identifier: string, sealedToken: SealedSecret): Promise<VaultRef> {
    const token = sealer.open(sealedToken);
    const { mcpServerUrl } = await provisioning.resolve();

    let ids = await verifyRemembered(identifier, mcpServerUrl);
    if (!ids) {
      const vault =
        (await findVaultByMetadata(identifier)) ??
        (await anthropic.beta.vaults.create({
          display_name: `inbox-agent ${identifier}`,
          metadata: { [IDENTIFIER_METADATA_KEY]: identifier },
        }));
      const credential = await findCredential(vault.id, mcpServerUrl);
      if (!credential) {
        const fresh = await anthropic.beta.vaults.credentials.create(vault.id, {
          display_name: 'scalekit-virtual-mcp',
          auth: { type: 'static_bearer', mcp_server_url: mcpServerUrl, token },
        });
        await vaultIds.set(identifier, { vaultId: vault.id, credentialId: fresh.id });
        return { vaultId: vault.id, credentialId: fresh.id, created: true };
      }
      ids = { vaultId: vault.id, credentialId: credential.id };
      await vaultIds.set(identifier, ids);
    }
    await anthropic.beta.vaults.credentials.update(ids.credentialId, {
      vault_id: ids.vaultId,
      auth: { type: 'static_bearer', token },
    });
    return { ...ids, created: false };
  };
}
