import { join } from 'node:path';
import { z } from 'zod';
import { parseEnv } from '../common/env.js';
import { consentKeySchema } from '../consent/state.js';

const url = z.url({ protocol: /^https?$/ });

/**
 * The callback needs Scalekit (to verify users), the consent key, Temporal, the state store the
 * workers share (spent states), and where the signed-in user comes from; no Anthropic key.
 */
export const callbackEnvSchema = z
  .object({
    SCALEKIT_ENV_URL: url,
    SCALEKIT_CLIENT_ID: z.string().min(1),
    SCALEKIT_CLIENT_SECRET: z.string().min(1),
    INBOX_AGENT_CONSENT_KEY: consentKeySchema,
    INBOX_AGENT_CALLBACK_PORT: z.coerce.number().int().min(0).max(65535).default(8788),
    INBOX_AGENT_CALLBACK_HOST: z.string().min(1).default('127.0.0.1'),
    /** Its public base URL (what the workers' INBOX_AGENT_CALLBACK_URL says); default: where it listens. */
    INBOX_AGENT_CALLBACK_URL: url.optional(),
    INBOX_AGENT_STATE_DIR: z.string().min(1).default('.data'),
    INBOX_AGENT_DATABASE_URL: z
      .string()
      .regex(/^(postgres(ql)?:\/\/.+|sqlite:.+)$/, 'must be postgres://… or sqlite:<path>')
      .optional(),
    /** Who is signed in: `oidc` (its own login against your provider) or `proxy` (a trusted proxy's header). */
    INBOX_AGENT_CALLBACK_IDENTITY: z.enum(['oidc', 'proxy']).default('oidc'),
    INBOX_AGENT_OIDC_ISSUER: url.optional(),
    INBOX_AGENT_OIDC_CLIENT_ID: z.string().min(1).optional(),
    INBOX_AGENT_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    /** The ID token claim holding the inbox-agent identifier. */
    INBOX_AGENT_OIDC_CLAIM: z.string().min(1).default('sub'),
    INBOX_AGENT_CALLBACK_PROXY_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be a header name')
      .default('x-forwarded-user'),
    /** Comma-separated addresses/CIDRs (or loopback, linklocal, uniquelocal) of the proxies whose header is believed. */
    INBOX_AGENT_CALLBACK_TRUSTED_PROXIES: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    const needs =
      env.INBOX_AGENT_CALLBACK_IDENTITY === 'oidc'
        ? (['INBOX_AGENT_OIDC_ISSUER', 'INBOX_AGENT_OIDC_CLIENT_ID', 'INBOX_AGENT_OIDC_CLIENT_SECRET'] as const)
        : (['INBOX_AGENT_CALLBACK_TRUSTED_PROXIES'] as const);
    for (const name of needs) {
      if (!env[name]) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is not set (INBOX_AGENT_CALLBACK_IDENTITY=${env.INBOX_AGENT_CALLBACK_IDENTITY} needs it)`,
        });
      }
    }
  })
  .transform((env) => ({
    ...env,
    INBOX_AGENT_DATABASE_URL: env.INBOX_AGENT_DATABASE_URL ?? `sqlite:${join(env.INBOX_AGENT_STATE_DIR, 'state.db')}`,
  }));

export type CallbackConfig = z.output<typeof callbackEnvSchema>;

export function parseCallbackConfig(env: Record<string, string | undefined> = process.env): CallbackConfig {
  return parseEnv(callbackEnvSchema, env);
}
