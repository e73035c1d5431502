import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
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
 * The SDK opens a standalone SSE stream (a GET) after initialize and has no switch to skip it; the
 * worker wants no server-initiated messages, so that GET is answered here as by a server without one
 * (405, which the SDK takes as "no stream"): one request less per connection.
 */
const withoutStandaloneStream: FetchLike = (url, init) =>
  init?.method === 'GET' ? Promise.resolve(new Response(null, { status: 405 })) : fetch(url, init);

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: WORKER_USER_AGENT, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    // Named, so the server's logs (and the fault suite) tell the worker's calls from the agent's.
    requestInit: { headers: { Authorization: `Bearer ${token}`, 'User-Agent': `${WORKER_USER_AGENT}/1` } },
    fetch: withoutStandaloneStream,
  });
  await client.connect(transport);
  return client;
}

/** How long an unused connection is kept, and how many at most (each is a few objects, no socket). */
const IDLE_MS = 15 * 60_000;
const MAX_CLIENTS = 2000;

/**
 * Connected clients by server URL and token, least recently used first: a sweep's read and its
 * confirm carry the same token, so they share one initialize. A connection that failed is dropped,
 * so Temporal's retry connects afresh.
 */
const clients = new Map<string, { client: Promise<Client>; usedAt: number }>();

function drop(key: string): void {
  const entry = clients.get(key);
  clients.delete(key);
  void entry?.client.then((c) => c.close()).catch(() => undefined);
}

function clientFor(url: string, token: string): { key: string; client: Promise<Client> } {
  const key = `${url} ${createHash('sha256').update(token).digest('base64url')}`;
  const now = Date.now();
  for (const [k, entry] of clients) {
    if (clients.size <= MAX_CLIENTS && now - entry.usedAt < IDLE_MS) break;
    drop(k);
  }
  const entry = clients.get(key) ?? { client: connect(url, token), usedAt: now };
  // Re-inserted, so the map stays in order of last use.
  clients.delete(key);
  clients.set(key, { ...entry, usedAt: now });
  return { key, client: entry.client };
}

/**
 * Runs `fn` with a Streamable HTTP MCP connection to the Virtual MCP server, the bearer being the
 * user's session token (reused while the token is: see `clientFor`). Tool results are JSON text
 * (Scalekit's tools answer that way).
 */
export async function withMcp<T>(url: string, token: string, fn: (call: CallTool) => Promise<T>): Promise<T> {
  const { key, client: connecting } = clientFor(url, token);
  try {
    const client = await connecting;
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
    // A tool's own error leaves the connection sound; anything else may not have.
    if (!(err instanceof McpToolError) && !(err instanceof ApplicationFailure)) drop(key);
    if (err instanceof StreamableHTTPError && (err.code === 401 || err.code === 403)) {
      throw nonRetryable(ErrorType.Unauthenticated, `Virtual MCP server rejected the session token: ${err.message}`);
    }
    throw err;
  }
}
