import type { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * The one way every process reads its environment: validated against a zod schema, the first problem
 * becomes one line naming the variable (a ConfigError, exit 2). A variable that is missing reads "is
 * not set" unless a rule of the schema says more.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  hint = 'see .env.example',
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0] ?? 'environment');
  const unset = env[name] === undefined || env[name] === '';
  const message = unset && issue.code !== 'custom' ? 'is not set' : issue.message;
  throw new ConfigError(`${name} ${message}${hint ? ` (${hint})` : ''}`);
}
