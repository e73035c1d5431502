import express, { type Express } from 'express';
import { HttpError, route, type ErrorWriter } from '../common/http.js';
import type { Context } from './context.js';
import { API_TOKEN_TTL_SECONDS, bearer } from './tokens.js';
import type { Sent } from '../../activities/apis/scalekit.wire.js';

export function mountOAuthRoutes(app: Express, ctx: Context): void {
  app.use('/oauth/token', express.urlencoded({ extended: false }));
  const keyOf = (req: express.Request) => String((req.body as Record<string, unknown> | undefined)?.client_id ?? '');
  route(
    app,
    ctx.control,
    writeOAuthError,
    'post',
    '/oauth/token',
    (req, res) => {
      const form = (req.body ?? {}) as Record<string, unknown>;
      if (form.grant_type !== 'client_credentials') {
        throw new HttpError(400, 'grant_type must be client_credentials', 'unsupported_grant_type');
      }
      if (form.client_id !== ctx.clientId || form.client_secret !== ctx.clientSecret) {
        throw new HttpError(401, 'invalid client_id or client_secret', 'invalid_client');
      }
      const answer = {
        access_token: ctx.tokens.issueApiToken(),
        token_type: 'Bearer',
        expires_in: API_TOKEN_TTL_SECONDS,
        scope: 'connected_accounts:read connected_accounts:write virtual_mcp_servers:read virtual_mcp_servers:write',
      };
      res.json(answer satisfies Sent['token']);
    },
    { keyOf },
  );
}

/**
 * Whose rate limit a call counts against: the client its access token was issued to (the emulator
 * has one client), or none for a call without a valid token, which is refused anyway.
 */
export function clientKey(ctx: Context, authorization: string | null | undefined): string | undefined {
  return ctx.tokens.isApiToken(bearer(authorization)) ? ctx.clientId : undefined;
}

/** Every API call but the token endpoint needs an access token from it. */
export function requireApiToken(ctx: Context, authorization: string | null | undefined): void {
  if (!ctx.tokens.isApiToken(bearer(authorization))) {
    throw new HttpError(401, 'missing, unknown or expired access token', 'UNAUTHENTICATED');
  }
}

const writeOAuthError: ErrorWriter = (res, status, message, type) => {
  res
    .status(status)
    .json({ error: type ?? (status >= 500 ? 'server_error' : 'invalid_request'), error_description: message });
};
