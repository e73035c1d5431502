import { z } from 'zod';

/** Response shapes of the Scalekit REST endpoints we call (snake_case, as grpc-gateway emits them). */
export const tokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().optional() });

export const connectionToolMapping = z.object({
  connection_name: z.string(),
  tools: z.array(z.string()).default([]),
});

export const mcpConfig = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  connection_tool_mappings: z.array(connectionToolMapping).default([]),
  mcp_server_url: z.string(),
});
export type McpConfig = z.infer<typeof mcpConfig>;

export const configResponse = z.object({ config: mcpConfig });
export const listConfigsResponse = z.object({
  configs: z.array(mcpConfig).default([]),
  next_page_token: z.string().optional(),
});

export const configAccount = z.object({
  connection_name: z.string(),
  connected_account_id: z.string().optional(),
  /**
   * Upper-cased here, once, so every comparison downstream is case-insensitive: the casing is
   * undocumented and Scalekit's own Managed Agents demo lower-cases before comparing (evidence B9).
   */
  connected_account_status: z
    .string()
    .default('')
    .transform((s) => s.toUpperCase()),
  authentication_link: z.string().optional(),
});
export type ConfigAccount = z.infer<typeof configAccount>;
export const listConfigAccountsResponse = z.object({ connected_accounts: z.array(configAccount).default([]) });

export const sessionTokenResponse = z.object({ token: z.string().min(1), expires_at: z.string().optional() });

export const errorBody = z.object({
  code: z.number().optional(),
  message: z.string().optional(),
  details: z.array(z.object({ error_code: z.string().optional() }).passthrough()).optional(),
});

/**
 * The answers as they cross the wire, before the schemas' defaults apply: the Scalekit emulator types
 * its JSON from these (type-only), so an answer our client would reject fails the typecheck.
 */
export type Sent = {
  token: z.input<typeof tokenResponse>;
  config: z.input<typeof mcpConfig>;
  configResponse: z.input<typeof configResponse>;
  listConfigsResponse: z.input<typeof listConfigsResponse>;
  listConfigAccountsResponse: z.input<typeof listConfigAccountsResponse>;
  sessionTokenResponse: z.input<typeof sessionTokenResponse>;
};
