import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Sent } from '../../activities/apis/scalekit.wire.js';
import { HttpError, route, type Method } from '../common/http.js';
import type { Context } from './context.js';
import { parseRequest, writeRestError } from './errors.js';
import { issueMagicLink, magicLinkUrl } from './magic-links.js';
import { clientKey, requireApiToken } from './oauth.js';
import { pathParam } from './request.js';
import { statusAsSent } from './samples.js';
import { CONNECTIONS, newId, type ConnectionName, type McpConfig, type ToolMapping } from './state.js';
import { TOOLS } from './tools/index.js';

const MAX_PAGE_SIZE = 30;
const DEFAULT_SESSION_SECONDS = 3600;
const MIN_SESSION_SECONDS = 60;
const MAX_SESSION_SECONDS = 86400;

const mappingsSchema = z
  .array(z.object({ connection_name: z.string().min(1), tools: z.array(z.string()).default([]) }))
  .max(25);
const createSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-z0-9_-]+$/, 'name may hold only a-z, 0-9, _ and -'),
  description: z.string().default(''),
  connection_tool_mappings: mappingsSchema.default([]),
});
const updateSchema = z.object({
  name: z.string().optional(),
  description: z.string().optional(),
  connection_tool_mappings: mappingsSchema.optional(),
});
const listSchema = z.object({
  'filter.id': z.string().optional(),
  'filter.name': z.string().optional(),
  'filter.provider': z.string().optional(),
  'filter.mcp_server_url': z.string().optional(),
  search: z.string().optional(),
  page_size: z.coerce.number().int().min(0).optional(),
  page_token: z.string().optional(),
});
const accountsSchema = z.object({ identifier: z.string().min(1), include_auth_link: z.boolean().default(false) });
const tokenSchema = z.object({
  identifier: z.string().min(1).max(255),
  expiry: z
    .string()
    .regex(/^\d+(\.\d+)?s$/, 'expiry is a protobuf Duration such as "3600s"')
    .optional(),
});

export const mcpServerUrl = (ctx: Context, config: McpConfig): string => `${ctx.url}/mcp/v3/servers/${config.serverId}`;

/** Virtual MCP server configs (spec §3), the REST surface the Node SDK 2.11 does not wrap. */
export function mountConfigRoutes(app: Express, ctx: Context): void {
  app.use('/api/v1', express.json());
  const api = (method: Method, path: string, handler: (req: Request, res: Response) => void): void =>
    route(
      app,
      ctx.control,
      writeRestError,
      method,
      path,
      (req, res) => {
        requireApiToken(ctx, req.get('authorization'));
        handler(req, res);
      },
      { keyOf: (req) => clientKey(ctx, req.get('authorization')) },
    );
  const configs = ctx.state.configs;
  const json = (config: McpConfig): Sent['config'] => configJson(ctx, config);

  api('post', '/api/v1/mcp/configs', (req, res) => {
    const body = parseRequest(createSchema, req.body);
    if ([...configs.values()].some((c) => c.name === body.name)) {
      throw new HttpError(409, `an MCP config named ${body.name} already exists`, 'ALREADY_EXISTS');
    }
    const config: McpConfig = {
      id: newId('cfg'),
      name: body.name,
      description: body.description,
      serverId: randomUUID(),
      mappings: toMappings(body.connection_tool_mappings),
    };
    configs.set(config.id, config);
    res.status(201).json(configAnswer(json(config)));
  });

  api('get', '/api/v1/mcp/configs', (req, res) => {
    const query = parseRequest(listSchema, req.query);
    const name = query['filter.name']?.toLowerCase();
    const provider = query['filter.provider']?.toLowerCase();
    const search = query.search?.toLowerCase();
    const matches = [...configs.values()].filter(
      (c) =>
        (query['filter.id'] === undefined || c.id === query['filter.id']) &&
        (name === undefined || c.name.toLowerCase() === name) &&
        (provider === undefined ||
          c.mappings.some((m) => CONNECTIONS[m.connectionName].provider.toLowerCase() === provider)) &&
        (query['filter.mcp_server_url'] === undefined || mcpServerUrl(ctx, c) === query['filter.mcp_server_url']) &&
        (search === undefined || `${c.name} ${c.description}`.toLowerCase().includes(search)),
    );
    const size = Math.min(query.page_size || MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    const offset = query.page_token ? Number(Buffer.from(query.page_token, 'base64url').toString()) || 0 : 0;
    const pageToken = (at: number): string => Buffer.from(String(at)).toString('base64url');
    const page = {
      configs: matches.slice(offset, offset + size).map(json),
      next_page_token: offset + size < matches.length ? pageToken(offset + size) : '',
      prev_page_token: offset > 0 ? pageToken(Math.max(0, offset - size)) : '',
      total_size: matches.length,
    };
    res.json(page satisfies Sent['listConfigsResponse']);
  });

  api('get', '/api/v1/mcp/configs/:config_id', (req, res) => {
    res.json(configAnswer(json(findConfig(ctx, pathParam(req, 'config_id')))));
  });

  api('put', '/api/v1/mcp/configs/:config_id', (req, res) => {
    const config = findConfig(ctx, pathParam(req, 'config_id'));
    const body = parseRequest(updateSchema, req.body);
    if (body.name !== undefined && body.name !== config.name) {
      throw new HttpError(400, 'the name of an MCP config cannot change', 'INVALID_ARGUMENT');
    }
    if (body.description !== undefined) config.description = body.description;
    if (body.connection_tool_mappings !== undefined) config.mappings = toMappings(body.connection_tool_mappings);
    res.json(configAnswer(json(config)));
  });

  api('delete', '/api/v1/mcp/configs/:config_id', (req, res) => {
    configs.delete(findConfig(ctx, pathParam(req, 'config_id')).id);
    res.json({});
  });

  api('post', '/api/v1/mcp/configs/:config_id/connected_accounts', (req, res) => {
    const config = findConfig(ctx, pathParam(req, 'config_id'));
    const { identifier, include_auth_link } = parseRequest(accountsSchema, req.body);
    const connectedAccounts = config.mappings.map(({ connectionName }) => {
      let account = ctx.state.account(identifier, connectionName);
      let authenticationLink = '';
      if (include_auth_link && account?.status !== 'ACTIVE') {
        const issued = issueMagicLink(ctx, { identifier, connection: connectionName });
        account = issued.account;
        authenticationLink = magicLinkUrl(ctx, issued.link);
      }
      return {
        connection_id: CONNECTIONS[connectionName].id,
        connection_name: connectionName,
        provider: CONNECTIONS[connectionName].provider,
        connected_account_id: account?.id ?? '',
        connected_account_status: statusAsSent(ctx.samples, account?.status ?? ''),
        authentication_link: authenticationLink,
      };
    });
    res.json({ connected_accounts: connectedAccounts } satisfies Sent['listConfigAccountsResponse']);
  });

  api('post', '/api/v1/mcp/configs/:config_id/tokens', (req, res) => {
    const config = findConfig(ctx, pathParam(req, 'config_id'));
    const { identifier, expiry } = parseRequest(tokenSchema, req.body);
    const seconds = expiry === undefined ? DEFAULT_SESSION_SECONDS : Number.parseFloat(expiry);
    if (seconds < MIN_SESSION_SECONDS || seconds > MAX_SESSION_SECONDS) {
      throw new HttpError(
        400,
        `expiry must be between ${MIN_SESSION_SECONDS}s and ${MAX_SESSION_SECONDS}s`,
        'INVALID_ARGUMENT',
      );
    }
    const accounts = config.mappings.map((m) => ({
      connection: m.connectionName,
      account: ctx.state.account(identifier, m.connectionName),
    }));
    const inactive = accounts.filter((a) => a.account?.status !== 'ACTIVE');
    if (inactive.length > 0) {
      const list = inactive.map((a) => `${a.connection} (${a.account?.status ?? 'NOT_CONNECTED'})`).join(', ');
      // ASSUMED: the code (samples.ts `mintRefusalCode`); '' writes an error body without details.
      const code = ctx.samples.mintRefusalCode;
      throw new HttpError(
        400,
        `connected accounts of ${identifier} are not ACTIVE: ${list}`,
        code === 'none' ? '' : code,
      );
    }
    const iat = Math.floor(ctx.now() / 1000);
    const exp = iat + Math.floor(seconds);
    const token = ctx.tokens.mintSession({
      iss: ctx.url,
      sub: identifier,
      aud: mcpServerUrl(ctx, config),
      mcp_cfg: config.id,
      ca_ids: accounts.map((a) => a.account?.id ?? ''),
      iat,
      exp,
      jti: randomUUID(),
    });
    res.json({ token, expires_at: new Date(exp * 1000).toISOString() } satisfies Sent['sessionTokenResponse']);
  });

  app.use('/api/v1', (req, res) => writeRestError(res, 404, `no route for ${req.method} ${req.originalUrl}`));
  // express.json() refuses malformed bodies before any route runs; answer those in the REST shape too.
  app.use('/api/v1', ((err, _req, res, next) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status !== 'number' || status >= 500) return next(err);
    writeRestError(res, status, `invalid request body: ${(err as Error).message}`);
  }) satisfies ErrorRequestHandler);
}

function findConfig(ctx: Context, id: string): McpConfig {
  const config = ctx.state.configs.get(id);
  if (!config) throw new HttpError(404, `MCP config ${id} not found`, 'NOT_FOUND');
  return config;
}

function toMappings(mappings: z.output<typeof mappingsSchema>): ToolMapping[] {
  const seen = new Set<string>();
  return mappings.map(({ connection_name, tools }) => {
    if (!Object.hasOwn(CONNECTIONS, connection_name)) {
      throw new HttpError(
        400,
        `connection ${connection_name} is not configured in this environment`,
        'INVALID_ARGUMENT',
      );
    }
    if (seen.has(connection_name))
      throw new HttpError(400, `connection ${connection_name} is mapped twice`, 'INVALID_ARGUMENT');
    seen.add(connection_name);
    const unknown = tools.filter((t) => !TOOLS.some((tool) => tool.name === t && tool.connection === connection_name));
    if (unknown.length > 0) {
      throw new HttpError(400, `tools not offered by ${connection_name}: ${unknown.join(', ')}`, 'INVALID_ARGUMENT');
    }
    return { connectionName: connection_name as ConnectionName, tools };
  });
}

const configAnswer = (config: Sent['config']): Sent['configResponse'] => ({ config });

/**
 * Typed from the product's wire types (type-only import), so an answer the client would not parse
 * fails the typecheck. Built in a variable first: the service also sends fields the client does not
 * read (`connection_id`, `provider`), which a literal returned directly would be refused for.
 */
function configJson(ctx: Context, config: McpConfig): Sent['config'] {
  const json = {
    id: config.id,
    name: config.name,
    description: config.description,
    connection_tool_mappings: config.mappings.map((m) => ({
      connection_name: m.connectionName,
      tools: m.tools,
      connection_id: CONNECTIONS[m.connectionName].id,
      provider: CONNECTIONS[m.connectionName].provider,
    })),
    mcp_server_url: mcpServerUrl(ctx, config),
  };
  return json;
}
