import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ConnectionName, ScalekitState } from '../state.js';

/** Whom a tool call acts for: the identifier inside the session token. */
export interface ToolContext {
  state: ScalekitState;
  identifier: string;
  now: () => number;
}

/** A provider-side failure, answered as an MCP tool error (`isError: true`) rather than a protocol error. */
export class ToolError extends Error {}

export interface Tool {
  name: string;
  connection: ConnectionName;
  register(server: McpServer, ctx: ToolContext): void;
}

/** Every Scalekit tool also takes these (spec §4). */
const versionFields = { schema_version: z.string().optional(), tool_version: z.string().optional() };

export function defineTool<S extends z.ZodRawShape>(def: {
  name: string;
  connection: ConnectionName;
  description: string;
  input: S;
  run: (args: z.output<z.ZodObject<S>>, ctx: ToolContext) => unknown;
}): Tool {
  return {
    name: def.name,
    connection: def.connection,
    register(server, ctx) {
      const inputSchema: z.ZodRawShape = { ...def.input, ...versionFields };
      server.registerTool(def.name, { description: def.description, inputSchema }, (args) =>
        call(ctx, def.connection, () => def.run(args as z.output<z.ZodObject<S>>, ctx)),
      );
    },
  };
}

function call(ctx: ToolContext, connection: ConnectionName, run: () => unknown): CallToolResult {
  const status = ctx.state.account(ctx.identifier, connection)?.status ?? 'NOT_CONNECTED';
  if (status !== 'ACTIVE') {
    return errorResult(`connected account for ${connection} is ${status}; the user must re-authorize`);
  }
  try {
    return { content: [{ type: 'text', text: JSON.stringify(run()) }] };
  } catch (err) {
    if (err instanceof ToolError) return errorResult(err.message);
    throw err;
  }
}

const errorResult = (message: string): CallToolResult => ({
  isError: true,
  content: [{ type: 'text', text: message }],
});
