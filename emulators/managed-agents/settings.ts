import { z } from 'zod';
import { DEFAULT_SAMPLES, samplesSchema } from './samples.js';

/**
 * Behaviours the service's documentation leaves open or sources thinly, switchable so tests can hold
 * the product to both readings. The undocumented ones live in samples.ts (marked ASSUMED); this adds
 * the one a third-party source states.
 */
export const settingsSchema = z
  .object({
    /**
     * A second active credential for one MCP server URL in one vault answers 409. Only third-party
     * docs state this rule (shared/specs/anthropic-managed-agents-api.md §8), so it is a switch; on by default.
     */
    credentialUrlConflict: z.boolean(),
  })
  .extend(samplesSchema.shape);
export type Settings = z.output<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = { credentialUrlConflict: true, ...DEFAULT_SAMPLES };
