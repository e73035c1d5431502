import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { inactiveToolText, type Samples } from '../samples.js';
import type { ConnectionName, ScalekitState } from '../state.js';

/** Whom a tool call acts for: the identifier inside the session token. */
export interface ToolContext {
  state: ScalekitState;
  identifier: string;
  now: () => number;
  samples: Samples;
}

/** A provider-side failure, answered as an MCP tool error (`isError: true`) rather than a protocol error. */
export class ToolError extends Error {}

export interface Tool {
  name: string;
  connection: ConnectionName;
  /** Registers the tool under `name` (the served name, prefixed or not). */
  register(server: McpServer, ctx: ToolContext, name: string): void;
}

/** Every Scalekit tool also takes these (spec §4). */
const versionFields = { schema_version: z.string().optional(), tool_version: z.string().optional() };

export function defineTool<S extends z.ZodRawShape>(def: {
  name: string;
  connection: ConnectionName;
  description: string;
  input: S;
  /**
   * The output's JSON Schema as `tools/list` declares it: Scalekit documents an `output_schema` on
   * every tool definition, but not its content for these tools (ASSUMED: the Google API resource).
   */
  output: z.ZodType;
  /** An alternative output (samples.ts) with the schema it would be declared under. */
  alternative?: (ctx: ToolContext) => { output: z.ZodType; map: (result: unknown) => unknown } | undefined;
  run: (args: z.output<z.ZodObject<S>>, ctx: ToolContext) => unknown;
}): Tool {
  return {
    name: def.name,
    connection: def.connection,
    register(server, ctx, name) {
      const inputSchema: z.ZodRawShape = { ...def.input, ...versionFields };
      const alternative = def.alternative?.(ctx);
      const outputSchema = ctx.samples.outputSchemas === 'declared' ? (alternative?.output ?? def.output) : undefined;
      server.registerTool(name, { description: def.description, inputSchema, outputSchema }, (args) =>
        call(ctx, def.connection, outputSchema !== undefined, () => {
          const result = def.run(args as z.output<z.ZodObject<S>>, ctx);
          return alternative ? alternative.map(result) : result;
        }),
      );
    },
  };
}

/** A result is JSON text (how Scalekit's tools answer) and, with an output schema, structured content too (MCP). */
function call(ctx: ToolContext, connection: ConnectionName, structured: boolean, run: () => unknown): CallToolResult {
  const status = ctx.state.account(ctx.identifier, connection)?.status ?? '';
  if (status !== 'ACTIVE') return errorResult(inactiveToolText(ctx.samples, connection, status));
  try {
    const result = run();
    return {
      content: [{ type: 'text', text: JSON.stringify(result) }],
      ...(structured ? { structuredContent: result as Record<string, unknown> } : {}),
    };
  } catch (err) {
    if (err instanceof ToolError) return errorResult(err.message);
    throw err;
  }
}

const errorResult = (message: string): CallToolResult => ({
  isError: true,
  content: [{ type: 'text', text: message }],
});
