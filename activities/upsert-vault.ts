import type { SealedSecret, VaultRef } from './types.js';
import type { Credential, Vault } from './apis/managed-agents.wire.js';
import type { ActivityDeps } from './deps.js';
import { IDENTIFIER_METADATA_KEY } from './definitions.js';
import type { Provisioning } from './provisioning.js';
import type { RememberedVault } from './user-state.js';
import { activityBinding } from './seal.js';

/** Creation order: timestamps first, ids to break a tie the same way on every worker. */
const older = (a: Vault | Credential, b: Vault | Credential) =>
  a.created_at < b.created_at || (a.created_at === b.created_at && a.id < b.id);

/**
 * One vault per identifier (tagged in its metadata) holding one `static_bearer` credential bound to
 * the MCP server URL. First run creates both; later runs only replace the token.
 *
 * The state store, not a listing, says which vault is the user's: the API lists vaults but cannot
 * filter them by metadata, so finding one by listing costs a page per hundred vaults of the whole
 * workspace, for every new user (onboarding would grow with the square of the fleet). A first sweep
 * creates the vault and claims it in the store (the first claim wins; racers archive theirs): a
 * fixed number of calls whatever the workspace holds. The one listing left is for a store that
 * records no vault at all (new, or lost): it imports every user's tagged vault at once, so a worker
 * that lost its database does not create a second vault for anyone.
 */
export function createUpsertVault(deps: ActivityDeps, provisioning: Provisioning) {
  const { managedAgents, sealer, state } = deps;

  const matches = (c: Credential, url: string) =>
    !c.archived_at && c.auth.type === 'static_bearer' && 'mcp_server_url' in c.auth && c.auth.mcp_server_url === url;

  /**
   * Writes the token into the remembered credential, trusting the ids (one call instead of reading
   * vault and credential first): true when the update answered with a live credential for the URL.
   * The ids are this user's own (the state store is keyed by identifier); a credential that is gone,
   * archived or for another URL sends the caller to look the vault up again. Not caught here: a vault
   * archived by hand around a live credential (the session create then fails, typed).
   */
  async function updateRemembered(remembered: RememberedVault | undefined, url: string, token: string) {
    if (!remembered?.credentialId) return undefined;
    const updated = await managedAgents.updateBearerToken(remembered.vaultId, remembered.credentialId, token);
    return updated && matches(updated, url) ? remembered : undefined;
  }

  /** The user's vault: the remembered one while it lives, else the store's claim (see above). */
  async function userVault(identifier: string, remembered: RememberedVault | undefined): Promise<string> {
    if (remembered) {
      const vault = await managedAgents.retrieveVault(remembered.vaultId);
      if (vault && !vault.archived_at) return vault.id;
    } else if (!(await state.hasVaults())) {
      const imported = await importTaggedVaults();
      if (imported.has(identifier)) return (await state.claimVault(identifier, imported.get(identifier)!)).vaultId;
    }
    const created = await managedAgents.createVault(`inbox-agent ${identifier}`, {
      [IDENTIFIER_METADATA_KEY]: identifier,
    });
    const claimed = await state.claimVault(identifier, created.id, remembered?.vaultId);
    if (claimed.vaultId !== created.id) await managedAgents.archiveVault(created.id);
    return claimed.vaultId;
  }

  /** Every user's live tagged vault (the oldest, should two have been made), claimed in the store. */
  async function importTaggedVaults(): Promise<Map<string, string>> {
    const oldest = new Map<string, Vault>();
    for await (const vault of managedAgents.listVaults()) {
      const owner = vault.metadata?.[IDENTIFIER_METADATA_KEY];
      if (vault.archived_at || !owner) continue;
      const seen = oldest.get(owner);
      if (!seen || older(vault, seen)) oldest.set(owner, vault);
    }
    for (const [owner, vault] of oldest) await state.claimVault(owner, vault.id);
    return new Map([...oldest].map(([owner, vault]) => [owner, vault.id]));
  }

  /** The vault's live credentials for the URL, oldest first. */
  async function credentialsFor(vaultId: string, url: string) {
    const found: Credential[] = [];
    for await (const credential of managedAgents.listCredentials(vaultId)) {
      if (matches(credential, url)) found.push(credential);
    }
    return found.sort((a, b) => (older(a, b) ? -1 : 1));
  }

  /**
   * Settles racing first sweeps on one credential whether or not the service refuses a second one
   * for the URL (409): every racer keeps the oldest and archives the rest, as createVault does.
   */
  async function convergeOnOldest(vaultId: string, url: string): Promise<Credential | undefined> {
    const [oldest, ...extras] = await credentialsFor(vaultId, url);
    for (const extra of extras) await managedAgents.archiveCredential(vaultId, extra.id);
    return oldest;
  }

  return async function upsertVault(identifier: string, sealedToken: SealedSecret): Promise<VaultRef> {
    const token = sealer.open(sealedToken, activityBinding(identifier));
    const { mcpServerUrl } = await provisioning.resolve();

    const remembered = await state.getVault(identifier);
    const trusted = await updateRemembered(remembered, mcpServerUrl, token);
    if (trusted) return { ...trusted, created: false };

    const vault = { id: await userVault(identifier, remembered) };
    let createdId: string | undefined;
    if ((await credentialsFor(vault.id, mcpServerUrl)).length === 0) {
      // Undefined: another sweep of this user created it a moment ago; use theirs, with our token.
      const fresh = await managedAgents.createBearerCredential(vault.id, {
        displayName: 'scalekit-virtual-mcp',
        mcpServerUrl,
        token,
      });
      createdId = fresh?.id;
    }
    const live = await convergeOnOldest(vault.id, mcpServerUrl);
    if (!live) throw new Error(`credential for ${mcpServerUrl} vanished from vault ${vault.id}`);
    const ids = { vaultId: vault.id, credentialId: live.id };
    await state.setVault(identifier, ids);
    // Ours survived and holds our token; one that lost to an older credential gets ours now.
    if (live.id === createdId) return { ...ids, created: true };
    if (!(await managedAgents.updateBearerToken(ids.vaultId, ids.credentialId, token))) {
      throw new Error(`credential ${ids.credentialId} of vault ${ids.vaultId} vanished while its token was written`);
    }
    return { ...ids, created: false };
  };
}
