import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorType } from '../../workflows/contract.js';
import { nonRetryable } from '../failures.js';

/** A tool answered `isError: true`: a provider-side failure, not a protocol one. */
export class McpToolError extends Error {
  override name = 'McpToolError';
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(`${tool} failed: ${message}`);
  }
}

/**
 * Scalekit answers a tool call for a connection that is no longer ACTIVE with a tool error naming
 * the status; those send the sweep back to the re-authorization wait instead of being retried.
 */
const INACTIVE = /\b(EXPIRED|PENDING_AUTH|PENDING_VERIFICATION|DISCONNECTED|NOT_CONNECTED|re-?authori[sz]e)\b/;

/** How the worker's own MCP calls introduce themselves (MCP client name and HTTP User-Agent). */
export const WORKER_USER_AGENT = 'inbox-agent-worker';

export type CallTool = (name: string, args: Record<string, unknown>) => Promise<unknown>;

/**
 * Runs `fn` with one Streamable HTTP MCP connection to the Virtual MCP server, the bearer being the
 * user's session token. Tool results are JSON text (Scalekit's tools answer that way).
 */
export async function withMcp<T>(url: string, token: string, fn: (call: CallTool) => Promise<T>): Promise<T> {
  const client = new Client({ name: WORKER_USER_AGENT, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    // Named, so the server's logs (and the fault suite) tell the worker's calls from the agent's.
    requestInit: { headers: { Authorization: `Bearer ${token}`, 'User-Agent': `${WORKER_USER_AGENT}/1` } },
  });
  try {
    await client.connect(transport);
    return await fn(async (name, args) => {
      const result = await client.callTool({ name, arguments: args });
      const blocks = Array.isArray(result.content) ? (result.content as Array<{ type: string; text?: string }>) : [];
      const text = blocks.map((b) => (b.type === 'text' ? (b.text ?? '') : '')).join('\n');
      if (result.isError) {
        if (INACTIVE.test(text)) throw nonRetryable(ErrorType.ConnectionInactive, `${name}: ${text}`);
        throw new McpToolError(name, text);
      }
      return JSON.parse(text) as unknown;
    });
  } catch (err) {
    if (err instanceof StreamableHTTPError && (err.code === 401 || err.code === 403)) {
      throw nonRetryable(ErrorType.Unauthenticated, `Virtual MCP server rejected the session token: ${err.message}`);
    }
    throw err;
  } finally {
    await client.close().catch(() => undefined);
  }
}
