import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** How the emulated platform reaches an agent's MCP server: Streamable HTTP with the vault's bearer token. */

export class McpAuthError extends Error {}
export class McpConnectionError extends Error {}

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ToolOutcome {
  content: TextBlock[];
  isError: boolean;
}

export interface McpConnection {
  tools: string[];
  call(name: string, input: Record<string, unknown>): Promise<ToolOutcome>;
  close(): Promise<void>;
}

function isAuthFailure(err: unknown): boolean {
  return err instanceof StreamableHTTPError && (err.code === 401 || err.code === 403);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Session events carry text blocks; anything else an MCP server returns is passed on as JSON text. */
function toBlocks(result: Record<string, unknown>): TextBlock[] {
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  const blocks = content.map((item): TextBlock =>
    item.type === 'text' && typeof item.text === 'string'
      ? { type: 'text', text: item.text }
      : { type: 'text', text: JSON.stringify(item) },
  );
  if (blocks.length === 0 && result.structuredContent !== undefined) {
    blocks.push({ type: 'text', text: JSON.stringify(result.structuredContent) });
  }
  return blocks;
}

/** The emulated platform's MCP client name and User-Agent (what the real platform sends is not documented). */
export const AGENT_USER_AGENT = 'claude-managed-agents-emulator';

/**
 * A signal for one request that follows the turn's. The MCP SDK adds an abort listener to the signal
 * of every request and never removes it (`Protocol.request`, sdk 1.32), so one turn-long signal shared
 * by every call collects a listener per call: Node warns (MaxListenersExceededWarning) after ten and
 * keeps them all until the turn ends. `AbortSignal.any` links to its source without a listener, and
 * the SDK's listener goes with the short-lived signal.
 */
const perRequest = (signal: AbortSignal): AbortSignal => AbortSignal.any([signal]);

export async function connectMcp(url: string, token: string, signal: AbortSignal): Promise<McpConnection> {
  const client = new Client({ name: AGENT_USER_AGENT, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}`, 'User-Agent': `${AGENT_USER_AGENT}/1` } },
  });
  let tools: string[];
  try {
    await client.connect(transport, { signal: perRequest(signal) });
    tools = (await client.listTools(undefined, { signal: perRequest(signal) })).tools.map((tool) => tool.name);
  } catch (err) {
    await client.close().catch(() => undefined);
    if (signal.aborted) throw err;
    if (isAuthFailure(err)) throw new McpAuthError(`MCP server ${url} rejected the credential: ${describe(err)}`);
    throw new McpConnectionError(`Could not connect to MCP server ${url}: ${describe(err)}`);
  }
  return {
    tools,
    async call(name, input) {
      try {
        const result = await client.callTool({ name, arguments: input }, undefined, { signal: perRequest(signal) });
        return { content: toBlocks(result), isError: result.isError === true };
      } catch (err) {
        if (signal.aborted) throw err;
        if (isAuthFailure(err)) throw new McpAuthError(`MCP server ${url} rejected the credential: ${describe(err)}`);
        return { content: [{ type: 'text', text: `Tool call failed: ${describe(err)}` }], isError: true };
      }
    },
    close: () => client.close(),
  };
}
