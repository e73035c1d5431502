import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { ErrorType } from '../../workflows/contract.js';

/**
 * An answer that does not fit the shape the product reads: a non-retryable failure naming the call
 * and the field path. Never the value: tool outputs carry mail, API bodies may carry secrets.
 */
export function unexpectedAnswer(call: string, problem: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.UnexpectedServiceAnswer,
    message: `${call} answered in an unexpected shape: ${problem}`,
    nonRetryable: true,
  });
}

/** `messages[0].payload.headers` from zod's path. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(top level)';
}

/**
 * Parses a service answer with `schema` (which states the fields the product reads and tolerates
 * others). A misfit throws `UnexpectedServiceAnswer`; the message names each field and what was
 * expected there, from zod's issue codes rather than its messages, which may quote the value.
 */
export function parseAnswer<S extends z.ZodType>(schema: S, value: unknown, call: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 3).map((issue) => {
    // A refinement's message is the product's own wording; zod's built-in ones may quote the value.
    const expected =
      issue.code === 'custom'
        ? issue.message
        : 'expected' in issue && typeof issue.expected === 'string'
          ? `expected ${issue.expected}`
          : issue.code;
    return `${fieldPath(issue.path)}: ${expected}`;
  });
  throw unexpectedAnswer(call, problems.join('; '));
}
