import type { z } from 'zod';
import { parseAnswer, unexpectedAnswer } from './answers.js';
import { retryAfterMs } from './retry-after.js';
import * as wire from './scalekit.wire.js';

export interface ScalekitApiOptions {
  envUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
}

/** A non-2xx answer from Scalekit; `status` drives how activities classify it. */
export class ScalekitApiError extends Error {
  override name = 'ScalekitApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly errorCode?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface McpConfigDefinition {
  name: string;
  description?: string;
  connection_tool_mappings: Array<{ connection_name: string; tools: string[] }>;
}

/**
 * The Virtual MCP endpoints that `@scalekit-sdk/node` 2.11 lacks, over REST. It never retries:
 * Temporal owns retries. The one exception is a single token refresh on 401, which is how the
 * client-credentials token is obtained in the first place, not a retry of a failure.
 */
export class ScalekitApi {
  private accessToken?: { value: string; expiresAt: number };
  private readonly timeoutMs: number;

  constructor(private readonly options: ScalekitApiOptions) {
    this.timeoutMs = options.timeoutMs ?? 20_000;
  }

  async findConfigByName(name: string): Promise<wire.McpConfig | undefined> {
    const res = await this.call('GET', `/api/v1/mcp/configs?${new URLSearchParams({ 'filter.name': name })}`, {
      schema: wire.listConfigsResponse,
    });
    return res.configs.find((c) => c.name.toLowerCase() === name.toLowerCase());
  }

  async createConfig(definition: McpConfigDefinition): Promise<wire.McpConfig> {
    return (await this.call('POST', '/api/v1/mcp/configs', { body: definition, schema: wire.configResponse })).config;
  }

  async updateConfig(id: string, patch: Omit<McpConfigDefinition, 'name'>): Promise<wire.McpConfig> {
    const path = `/api/v1/mcp/configs/${encodeURIComponent(id)}`;
    return (await this.call('PUT', path, { body: patch, schema: wire.configResponse })).config;
  }

  async listConfigAccounts(configId: string, identifier: string, includeAuthLink: boolean) {
    const path = `/api/v1/mcp/configs/${encodeURIComponent(configId)}/connected_accounts`;
    const body = { identifier, include_auth_link: includeAuthLink };
    return (await this.call('POST', path, { body, schema: wire.listConfigAccountsResponse })).connected_accounts;
  }

  async createSessionToken(configId: string, identifier: string, expirySeconds: number) {
    const path = `/api/v1/mcp/configs/${encodeURIComponent(configId)}/tokens`;
    const body = { identifier, expiry: `${expirySeconds}s` };
    return this.call('POST', path, { body, schema: wire.sessionTokenResponse });
  }

  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    { body, schema }: { body?: unknown; schema: S },
  ): Promise<z.output<S>> {
    let response = await this.send(method, path, body, await this.token());
    if (response.status === 401) {
      this.accessToken = undefined;
      response = await this.send(method, path, body, await this.token());
    }
    const what = `Scalekit ${method} ${path.split('?')[0]}`;
    if (!response.ok) throw await toError(response, what.slice('Scalekit '.length));
    return parseAnswer(schema, await jsonOf(response, what), what);
  }

  private send(method: string, path: string, body: unknown, token: string): Promise<Response> {
    return fetch(new URL(path, this.options.envUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }

  private async token(): Promise<string> {
    if (this.accessToken && this.accessToken.expiresAt > Date.now()) return this.accessToken.value;
    const response = await fetch(new URL('/oauth/token', this.options.envUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.options.clientId,
        client_secret: this.options.clientSecret,
      }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw await toError(response, 'POST /oauth/token');
    const what = 'Scalekit POST /oauth/token';
    const { access_token, expires_in } = parseAnswer(wire.tokenResponse, await jsonOf(response, what), what);
    // Refresh a minute early so a token never expires between check and use.
    const lifetimeMs = Math.max((expires_in ?? 3600) - 60, 30) * 1000;
    this.accessToken = { value: access_token, expiresAt: Date.now() + lifetimeMs };
    return access_token;
  }
}

async function jsonOf(response: Response, what: string): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    throw unexpectedAnswer(what, `the body is not JSON (${response.headers.get('content-type') ?? 'no content type'})`);
  }
}

async function toError(response: Response, what: string): Promise<ScalekitApiError> {
  const text = await response.text().catch(() => '');
  let parsed: z.infer<typeof wire.errorBody> = {};
  try {
    parsed = wire.errorBody.parse(JSON.parse(text));
  } catch {
    // not JSON: keep the status alone
  }
  const errorCode = parsed.details?.find((d) => d.error_code)?.error_code;
  const requestId = parsed.details
    ?.map((d) => (d.request_info as { request_id?: unknown } | undefined)?.request_id)
    .find((id) => typeof id === 'string');
  return new ScalekitApiError(
    response.status,
    // Status, error code and request id only: the body's message may echo what was sent.
    `Scalekit ${what} answered ${response.status}${errorCode ? ` ${errorCode}` : ''}${requestId ? ` (request ${requestId})` : ''}`,
    errorCode,
    retryAfterMs(response.headers),
  );
}
