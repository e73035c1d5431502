import { z } from 'zod';
import { parseEnv } from '../common/env.js';
import { consentKeySchema } from '../consent/state.js';

const url = z.url({ protocol: /^https?$/ });

/** The callback needs Scalekit (to verify users), the consent key and Temporal; no Anthropic key. */
export const callbackEnvSchema = z.object({
  SCALEKIT_ENV_URL: url,
  SCALEKIT_CLIENT_ID: z.string().min(1),
  SCALEKIT_CLIENT_SECRET: z.string().min(1),
  INBOX_AGENT_CONSENT_KEY: consentKeySchema,
  INBOX_AGENT_CALLBACK_PORT: z.coerce.number().int().min(0).max(65535).default(8788),
  INBOX_AGENT_CALLBACK_HOST: z.string().min(1).default('127.0.0.1'),
});

export type CallbackConfig = z.output<typeof callbackEnvSchema>;

export function parseCallbackConfig(env: Record<string, string | undefined> = process.env): CallbackConfig {
  return parseEnv(callbackEnvSchema, env);
}
