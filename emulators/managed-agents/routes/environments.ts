import { z } from 'zod';
import { timestamp } from '../clock.js';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import { queryBool } from '../query.js';
import type { EnvironmentObject } from '../store.js';
import { applyMetadataPatch, clearable, metadataPatchSchema, metadataSchema, parseBody } from '../validation.js';
import { deleteAndArchiveRoutes, param, type RouteContext } from './context.js';

const hosts = z.array(z.string().min(1)).nullish();
const packageList = z.array(z.string().min(1)).nullish();

const configSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('cloud'),
    networking: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('unrestricted') }),
        z.object({
          type: z.literal('limited'),
          allowed_hosts: hosts,
          allow_mcp_servers: z.boolean().nullish(),
          allow_package_managers: z.boolean().nullish(),
        }),
      ])
      .nullish(),
    packages: z
      .object({
        type: z.literal('packages').optional(),
        apt: packageList,
        cargo: packageList,
        gem: packageList,
        go: packageList,
        npm: packageList,
        pip: packageList,
      })
      .nullish(),
  }),
  z.object({ type: z.literal('self_hosted') }),
]);

const scopeSchema = z.enum(['organization', 'account']).nullish();

const createSchema = z.object({
  name: z.string().min(1).max(256),
  description: z.string().max(2048).nullish(),
  metadata: metadataSchema.optional(),
  config: configSchema.nullish(),
  scope: scopeSchema,
});

const updateSchema = z.object({
  name: z.string().min(1).max(256).nullish(),
  description: z.string().max(2048).nullish(),
  metadata: metadataPatchSchema,
  config: configSchema.nullish(),
  scope: scopeSchema,
});

/** The config as stored: every list present, networking spelled out. */
function resolveConfig(config: z.output<typeof configSchema> | null | undefined): EnvironmentObject['config'] {
  if (config?.type === 'self_hosted') return { type: 'self_hosted' };
  const networking = config?.networking ?? { type: 'unrestricted' as const };
  const p = config?.packages;
  return {
    type: 'cloud',
    networking:
      networking.type === 'unrestricted'
        ? networking
        : {
            type: 'limited',
            allowed_hosts: networking.allowed_hosts ?? [],
            allow_mcp_servers: networking.allow_mcp_servers ?? false,
            allow_package_managers: networking.allow_package_managers ?? false,
          },
    packages: {
      type: 'packages',
      apt: p?.apt ?? [],
      cargo: p?.cargo ?? [],
      gem: p?.gem ?? [],
      go: p?.go ?? [],
      npm: p?.npm ?? [],
      pip: p?.pip ?? [],
    },
  };
}

export function registerEnvironmentRoutes({ on, store }: RouteContext): void {
  on('post', '/v1/environments', (req, res) => {
    const body = parseBody(createSchema, req.body);
    const now = timestamp();
    const environment: EnvironmentObject = {
      id: newId('env'),
      type: 'environment',
      name: body.name,
      description: clearable(body.description, null),
      metadata: body.metadata ?? {},
      config: resolveConfig(body.config),
      ...(body.scope ? { scope: body.scope } : {}),
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    store.environments.set(environment.id, environment);
    res.json(environment);
  });

  on('get', '/v1/environments', (req, res) => {
    const includeArchived = queryBool(req, 'include_archived') ?? false;
    const environments = [...store.environments.values()].filter((e) => includeArchived || !e.archived_at).reverse();
    const { data, next_page } = paginate(req, environments, { default: 20, max: 100 });
    res.json({ data, next_page });
  });

  on('get', '/v1/environments/:environment_id', (req, res) => {
    res.json(store.environment(param(req, 'environment_id')));
  });

  on('post', '/v1/environments/:environment_id', (req, res) => {
    const environment = store.environment(param(req, 'environment_id'));
    const body = parseBody(updateSchema, req.body);
    if (environment.archived_at) throw invalidRequest(`environment ${environment.id} is archived`);
    if (body.config && body.config.type !== environment.config.type) {
      throw invalidRequest(`config.type cannot change from ${environment.config.type} to ${body.config.type}`);
    }
    environment.name = body.name ?? environment.name;
    environment.description = clearable(body.description, environment.description);
    environment.metadata = applyMetadataPatch(environment.metadata, body.metadata);
    if (body.config) environment.config = resolveConfig(body.config);
    if (body.scope) environment.scope = body.scope;
    environment.updated_at = timestamp();
    res.json(environment);
  });

  deleteAndArchiveRoutes(
    on,
    'environment',
    'environments',
    (id) => store.environment(id),
    (id) => store.environments.delete(id),
  );
}
