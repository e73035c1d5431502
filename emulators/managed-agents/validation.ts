import { z } from 'zod';
import { invalidRequest } from './errors.js';

/** Parses a request body, answering 400 `invalid_request_error` with zod's explanation when it does not fit. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw invalidRequest(z.prettifyError(parsed.error));
  return parsed.data;
}

export type Metadata = Record<string, string>;

const METADATA_LIMIT = 16;

export const metadataSchema = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= METADATA_LIMIT, `metadata: at most ${METADATA_LIMIT} pairs`);

/** Update bodies patch metadata: a string upserts a key, null deletes it. */
export const metadataPatchSchema = z.record(z.string().min(1).max(64), z.string().max(512).nullable()).nullish();

export function applyMetadataPatch(current: Metadata, patch: z.output<typeof metadataPatchSchema>): Metadata {
  if (!patch) return current;
  const next = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  if (Object.keys(next).length > METADATA_LIMIT) throw invalidRequest(`metadata: at most ${METADATA_LIMIT} pairs`);
  return next;
}

/** Update bodies clear optional strings with null or an empty string. */
export function clearable(value: string | null | undefined, current: string | null): string | null {
  if (value === undefined) return current;
  return value === null || value === '' ? null : value;
}
