import express, { type Express, type Request } from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { HttpError, route, type ErrorWriter } from '../common/http.js';
import type { Context } from './context.js';
import { mcpServerUrl } from './configs.js';
import { pathParam } from './request.js';
import type { McpConfig } from './state.js';
import { bearer, type SessionClaims } from './tokens.js';
import { TOOLS } from './tools/index.js';

const PATH = '/mcp/v3/servers/:server_id';

/**
 * The Virtual MCP server of each config: MCP Streamable HTTP, stateless (a fresh server and transport per
 * request), answering with plain JSON so that one HTTP call is one counted, fault-injectable route hit.
 */
export function mountMcpRoutes(app: Express, ctx: Context): void {
  // Parsed ahead of the route so a fault can be placed by the tool a `tools/call` names; the
  // transport takes the parsed body as it is.
  app.post(PATH, express.json({ limit: '4mb' }));
  route(
    app,
    ctx.control,
    writeMcpError,
    'post',
    PATH,
    async (req, res) => {
      const config = ctx.state.findConfigByServerId(pathParam(req, 'server_id'));
      if (!config) throw new HttpError(404, 'no MCP server at this URL');
      const claims = authenticate(ctx, config, req.get('authorization'));

      const server = new McpServer({ name: `scalekit-${config.name}`, version: '1.0.0' });
      const toolCtx = { state: ctx.state, identifier: claims.sub, now: ctx.now, samples: ctx.samples };
      for (const tool of servedTools(config)) tool.register(server, toolCtx, ctx.samples.toolNamePrefix + tool.name);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    },
    { toolOf },
  );

  // A stateless server has no standalone SSE stream and no session to delete.
  for (const method of ['get', 'delete'] as const) {
    route(app, ctx.control, writeMcpError, method, PATH, () => {
      throw new HttpError(405, 'method not allowed');
    });
  }
}

/** The tool a JSON-RPC `tools/call` names (one message; a batch names none). */
function toolOf(req: Request): string | undefined {
  const body = req.body as { method?: unknown; params?: { name?: unknown } } | undefined;
  return body?.method === 'tools/call' && typeof body.params?.name === 'string' ? body.params.name : undefined;
}

function authenticate(ctx: Context, config: McpConfig, authorization: string | undefined): SessionClaims {
  const token = bearer(authorization);
  if (token === undefined) throw new HttpError(401, 'missing bearer token', 'invalid_request');
  const claims = ctx.tokens.verifySession(token);
  if (!claims) throw new HttpError(401, 'invalid or expired session token', 'invalid_token');
  if (claims.mcp_cfg !== config.id || claims.aud !== mcpServerUrl(ctx, config)) {
    throw new HttpError(401, 'session token was minted for another MCP server', 'invalid_token');
  }
  return claims;
}

function servedTools(config: McpConfig): typeof TOOLS {
  return TOOLS.filter((tool) =>
    config.mappings.some(
      (m) => m.connectionName === tool.connection && (m.tools.length === 0 || m.tools.includes(tool.name)),
    ),
  );
}

/** JSON-RPC error bodies; 401s carry the RFC 6750 challenge MCP clients look for. */
const writeMcpError: ErrorWriter = (res, status, message, type) => {
  if (status === 401)
    res.set('WWW-Authenticate', `Bearer error="${type ?? 'invalid_token'}", error_description="${message}"`);
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
};
