import { join } from 'node:path';
import ms, { type StringValue } from 'ms';
import { z } from 'zod';
import { keySetSpec, sharedKeys } from '../codec/env.js';
import { parseEnv } from '../common/env.js';
import { consentKeySchema } from '../consent/state.js';
import { TASK_QUEUE } from '../workflows/contract.js';

// Re-exported: the worker's entry points report it.
export { ConfigError } from '../common/errors.js';

const url = z.url({ protocol: /^https?$/ });

/**
 * A URL that needs its key: the callback URL the consent key, the webhook URL its secret. And no
 * worker without the callback unless the Scalekit environment is in its dashboard-users test mode:
 * in Custom user verification (Scalekit's production mode) a link made without `user_verify_url`
 * fails at the exchange (`failed_to_exchange`), so nobody could ever consent.
 */
function consentRules(
  env: {
    INBOX_AGENT_CALLBACK_URL?: string;
    INBOX_AGENT_CONSENT_KEY?: string;
    INBOX_AGENT_WEBHOOK_URL?: string;
    INBOX_AGENT_WEBHOOK_SECRET?: string;
    INBOX_AGENT_SCALEKIT_USER_VERIFICATION?: string;
  },
  ctx: z.RefinementCtx,
): void {
  for (const [needs, name] of [
    [env.INBOX_AGENT_CALLBACK_URL && !env.INBOX_AGENT_CONSENT_KEY, 'INBOX_AGENT_CONSENT_KEY'],
    [env.INBOX_AGENT_WEBHOOK_URL && !env.INBOX_AGENT_WEBHOOK_SECRET, 'INBOX_AGENT_WEBHOOK_SECRET'],
  ] as const) {
    if (needs) ctx.addIssue({ code: 'custom', path: [name], message: 'is not set' });
  }
  // Unset is the default, custom (the rules also run on an environment that failed other checks).
  if (!env.INBOX_AGENT_CALLBACK_URL && (env.INBOX_AGENT_SCALEKIT_USER_VERIFICATION ?? 'custom') === 'custom') {
    ctx.addIssue({
      code: 'custom',
      path: ['INBOX_AGENT_CALLBACK_URL'],
      message:
        'is not set: Scalekit\'s custom user verification (its production mode) needs the consent callback (npm run callback); INBOX_AGENT_SCALEKIT_USER_VERIFICATION=dashboard only for an environment in the "Scalekit users only" test mode',
    });
  }
}

/**
 * Rules across variables run even when another variable is wrong (zod skips refinements of an
 * object with issues unless told), so one run reports every problem.
 */
const always = { when: () => true };

/** Everything the worker reads from the environment. Temporal's own connection comes from envconfig. */
export const workerEnvSchema = z
  .object({
    SCALEKIT_ENV_URL: url,
    SCALEKIT_CLIENT_ID: z.string().min(1),
    SCALEKIT_CLIENT_SECRET: z.string().min(1),
    ANTHROPIC_API_KEY: z.string().min(1),
    ANTHROPIC_BASE_URL: url.optional(),
    ANTHROPIC_ENVIRONMENT_ID: z.string().min(1),
    /** Encrypts every payload (the codec): workers, clients, the CLI and the codec server hold it. */
    INBOX_AGENT_CODEC_KEYS: keySetSpec,
    /** Seals session tokens: workers only, never the same bytes as a codec key. */
    INBOX_AGENT_SEAL_KEYS: keySetSpec.optional(),
    /** The one seal key of earlier releases; still opens (and, alone, seals) until dropped. */
    INBOX_AGENT_SEAL_KEY: z
      .string()
      .refine(
        (v) => Buffer.from(v, 'base64').length === 32,
        'must be 32 random bytes in base64 (openssl rand -base64 32)',
      )
      .optional(),
    INBOX_AGENT_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
    INBOX_AGENT_MCP_CONFIG_NAME: z
      .string()
      .regex(/^[a-z0-9_-]{1,100}$/, 'lower-case letters, digits, _ and - only')
      .default('email-calendar-demo'),
    INBOX_AGENT_AGENT_NAME: z.string().min(1).default('Email Meeting Manager'),
    INBOX_AGENT_MODEL: z.string().min(1).default('claude-haiku-4-5-20251001'),
    INBOX_AGENT_STATE_DIR: z.string().min(1).default('.data'),
    /**
     * `archive` (default): every finished session is archived once the sweep has confirmed its
     * events, as Anthropic asks ("when done with a session, archive it"), so no session keeps the mail
     * it read; `keep` leaves finished sessions for inspection in the console.
     */
    INBOX_AGENT_SESSION_RETENTION: z.enum(['archive', 'keep']).default('archive'),
    /**
     * The per-user state every worker of a deployment shares (see activities/user-state.ts):
     * `postgres://user:password@host:5432/db` in production, `sqlite:<path>` for one host. Unset:
     * SQLite in the state directory, which is all `npm start` and the tests need.
     */
    INBOX_AGENT_DATABASE_URL: z
      .string()
      .regex(/^(postgres(ql)?:\/\/.+|sqlite:.+)$/, 'must be postgres://… or sqlite:<path>')
      .optional(),
    /** host:port of the runtime's Prometheus endpoint (the image's health check asks it); off when unset. */
    INBOX_AGENT_METRICS_ADDRESS: z
      .string()
      .regex(/^[^\s/]+:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464')
      .optional(),
    /**
     * Activity slots per worker process. A sweep's session activity mostly waits on the agent's event
     * stream, so slots are cheap; the SDK's default of 100 would queue a large fleet behind the first
     * hundred sessions (see README, "Benchmarks").
     */
    INBOX_AGENT_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(100_000).default(1000),
    /**
     * Local activity slots (the sweep's short calls: check, mint, read, vault, confirm). Each holds a
     * workflow task open while it runs, so this bounds the sweeps one process moves at once; the
     * SDK's default is 100.
     */
    INBOX_AGENT_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(100_000).optional(),
    /**
     * Workflows kept in memory between their tasks (sticky cache; the SDK's default comes from the
     * heap size). A cached sweep costs its V8 context (a few hundred kB); an evicted one is replayed
     * from its short history on its next task. Lower it to bound a process's RSS.
     */
    INBOX_AGENT_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).optional(),
    /** Workflow tasks run at once (SDK default 40). */
    INBOX_AGENT_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).optional(),
    /**
     * On SIGTERM/SIGINT, how long in-flight activities (agent sessions above all) get to finish before
     * they are cancelled; a session cut off is re-attached by the next worker from its heartbeat.
     */
    INBOX_AGENT_SHUTDOWN_GRACE: z
      .string()
      .default('30 seconds')
      .transform((v, ctx) => {
        const parsed = ms(v as StringValue);
        if (typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0) return parsed;
        ctx.addIssue({ code: 'custom', message: 'must be a duration, e.g. 30s or 2 minutes' });
        return z.NEVER;
      }),
    /** Public base URL of the consent callback (`npm run callback`); links then use user verification. */
    INBOX_AGENT_CALLBACK_URL: url.optional(),
    INBOX_AGENT_CONSENT_KEY: consentKeySchema.optional(),
    /** The Scalekit environment's user-verification mode (dashboard: Agent Auth > User Verification). */
    INBOX_AGENT_SCALEKIT_USER_VERIFICATION: z.enum(['custom', 'dashboard']).default('custom'),
    /** Reminders while a sweep waits for consent go to the log, and to this webhook when set. */
    INBOX_AGENT_WEBHOOK_URL: url.optional(),
    INBOX_AGENT_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .refine((env) => env.INBOX_AGENT_SEAL_KEYS || env.INBOX_AGENT_SEAL_KEY, {
    path: ['INBOX_AGENT_SEAL_KEYS'],
    message: 'is not set',
    ...always,
  })
  .refine(
    (env) =>
      !env.INBOX_AGENT_SEAL_KEYS ||
      !env.INBOX_AGENT_CODEC_KEYS ||
      !sharedKeys(env.INBOX_AGENT_CODEC_KEYS, env.INBOX_AGENT_SEAL_KEYS),
    {
      path: ['INBOX_AGENT_SEAL_KEYS'],
      message: 'shares a key with INBOX_AGENT_CODEC_KEYS: seal keys must stay apart from what operators hold',
      ...always,
    },
  )
  .superRefine(consentRules, always);

/** The environment as the worker uses it: the defaults that depend on other variables filled in. */
const workerConfigSchema = workerEnvSchema.transform((env) => ({
  ...env,
  INBOX_AGENT_DATABASE_URL: env.INBOX_AGENT_DATABASE_URL ?? `sqlite:${join(env.INBOX_AGENT_STATE_DIR, 'state.db')}`,
}));

export type WorkerConfig = z.output<typeof workerConfigSchema>;

export function parseWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  return parseEnv(workerConfigSchema, env);
}
