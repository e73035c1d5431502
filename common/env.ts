import type { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * The one way every process reads its environment: validated against a zod schema, every problem at
 * once, one line per variable naming it (a ConfigError whose message has a line each, exit 2), so a
 * new deployment finds all it lacks in one run. A variable that is missing reads "is not set" unless a
 * rule of the schema says more. Values are never shown: they may be secrets.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  hint = 'see .env.example',
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = new Map<string, string>();
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? 'environment');
    const unset = env[name] === undefined || env[name] === '';
    const message = unset && issue.code !== 'custom' ? 'is not set' : issue.message;
    // A variable's first problem is its line: a missing value can fail several rules at once.
    if (!lines.has(name)) lines.set(name, `${name} ${message}${hint ? ` (${hint})` : ''}`);
  }
  throw new ConfigError([...lines.values()].join('\n'));
}
