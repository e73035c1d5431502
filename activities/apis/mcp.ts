import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ErrorType } from '../../workflows/contract.js';
import { nonRetryable } from '../failures.js';
import { unexpectedAnswer } from './answers.js';

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
 * The wording of a tool error on an account that is no longer ACTIVE is undocumented (evidence D6):
 * Scalekit's status names in either case, "not connected"/"not active"/"inactive" (scalekit-sdk-python
 * says such an account "is reported as not connected"), and "re-authorize". Those send the sweep back
 * to the re-authorization wait instead of being retried.
 */
const INACTIVE =
  /\b(EXPIRED|PENDING[_ ]AUTH|PENDING[_ ]VERIFICATION|DISCONNECTED|NOT[_ ]CONNECTED|NOT[_ ]ACTIVE|INACTIVE|re-?authori[sz](e|ation))\b/i;

export const isInactiveToolError = (text: string): boolean => INACTIVE.test(text);

/** How the worker's own MCP calls introduce themselves (MCP client name and HTTP User-Agent). */
export const WORKER_USER_AGENT = 'inbox-agent-worker';

export type CallTool = (name: string, args: Record<string, unknown>) => Promise<unknown>;

/** A tool as `tools/list` declares it (MCP's `inputSchema`/`outputSchema`, JSON Schema). */
export interface DeclaredTool {
  name: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
}

export interface McpSession {
  call: CallTool;
  listTools(): Promise<DeclaredTool[]>;
}

/** Pages of `tools/list` followed at most this far: a server that keeps paging is answering wrongly. */
const MAX_TOOL_PAGES = 20;

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
 * user's session token (reused while the token is: see `clientFor`). A tool's result is its
 * `structuredContent` when it declares an output schema (MCP 2025-06-18), else the JSON of its text
 * block (how Scalekit's tools answer); anything else is an `UnexpectedServiceAnswer`, never an empty result.
 */
export async function withMcp<T>(url: string, token: string, fn: (mcp: McpSession) => Promise<T>): Promise<T> {
  const { key, client: connecting } = clientFor(url, token);
  try {
    const client = await connecting;
    return await fn({
      async call(name, args) {
        const result = await client.callTool({ name, arguments: args }).catch((err: unknown) => {
          // The SDK checks results against the output schema the tool declared in tools/list. Its
          // validator names JSON paths and rules (ajv's errorsText), not values.
          if (err instanceof McpError && /output schema|structured content/i.test(err.message)) {
            throw unexpectedAnswer(name, err.message.replace(/^MCP error -?\d+: /, '').slice(0, 300));
          }
          throw err;
        });
        const blocks = Array.isArray(result.content) ? (result.content as Array<{ type: string; text?: string }>) : [];
        const text = blocks.map((b) => (b.type === 'text' ? (b.text ?? '') : '')).join('\n');
        if (result.isError) {
          if (isInactiveToolError(text)) throw nonRetryable(ErrorType.ConnectionInactive, `${name}: ${text}`);
          throw new McpToolError(name, text);
        }
        if (result.structuredContent !== undefined) return result.structuredContent;
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw unexpectedAnswer(name, `its text block is not JSON (${text.length} characters)`);
        }
      },
      async listTools() {
        const tools: DeclaredTool[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < MAX_TOOL_PAGES; page++) {
          const listed = await client.listTools(cursor === undefined ? undefined : { cursor });
          tools.push(...listed.tools);
          cursor = listed.nextCursor;
          if (!cursor) return tools;
        }
        throw unexpectedAnswer('tools/list', `still paging after ${MAX_TOOL_PAGES} pages`);
      },
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
