import { z } from 'zod';
import { timestamp } from '../clock.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import { queryBool } from '../query.js';
import type { VaultObject } from '../store.js';
import { applyMetadataPatch, metadataPatchSchema, metadataSchema, parseBody } from '../validation.js';
import { deleteAndArchiveRoutes, param, type RouteContext } from './context.js';

const createSchema = z.object({ display_name: z.string().min(1).max(255), metadata: metadataSchema.optional() });
const updateSchema = z.object({ display_name: z.string().min(1).max(255).nullish(), metadata: metadataPatchSchema });

export function registerVaultRoutes({ on, store }: RouteContext): void {
  on('post', '/v1/vaults', (req, res) => {
    const body = parseBody(createSchema, req.body);
    const now = timestamp();
    const vault: VaultObject = {
      id: newId('vlt'),
      type: 'vault',
      display_name: body.display_name,
      metadata: body.metadata ?? {},
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    store.vaults.set(vault.id, { wire: vault, credentials: new Map() });
    res.json(vault);
  });

  on('get', '/v1/vaults', (req, res) => {
    const includeArchived = queryBool(req, 'include_archived') ?? false;
    const vaults = [...store.vaults.values()]
      .map((v) => v.wire)
      .filter((v) => includeArchived || !v.archived_at)
      .reverse();
    const { data, next_page } = paginate(req, vaults, { default: 20, max: 100 });
    res.json({ data, next_page });
  });

  on('get', '/v1/vaults/:vault_id', (req, res) => {
    res.json(store.vault(param(req, 'vault_id')).wire);
  });

  on('post', '/v1/vaults/:vault_id', (req, res) => {
    const vault = store.vault(param(req, 'vault_id')).wire;
    const body = parseBody(updateSchema, req.body);
    vault.display_name = body.display_name ?? vault.display_name;
    vault.metadata = applyMetadataPatch(vault.metadata, body.metadata);
    vault.updated_at = timestamp();
    res.json(vault);
  });

  deleteAndArchiveRoutes(
    on,
    'vault',
    'vaults',
    (id) => store.vault(id).wire,
    (id) => store.vaults.delete(id),
  );
}
