import { z } from 'zod';

/**
 * Behaviours the service's documentation leaves open, switchable so tests can hold the product to
 * both readings. Defaults are the stricter or the more common reading, as noted on each.
 */
export const settingsSchema = z.object({
  /**
   * A second active credential for one MCP server URL in one vault answers 409. Only third-party
   * docs state this rule (shared/specs/anthropic-managed-agents-api.md §8), so it is a switch; on by default.
   */
  credentialUrlConflict: z.boolean(),
  /**
   * When a sent `user.message` appears in `events.list`: `on_arrival`, or only once the agent has
   * processed it (its `processed_at` is set). The docs do not say; `on_arrival` by default.
   */
  userMessagesListed: z.enum(['on_arrival', 'when_processed']),
});
export type Settings = z.output<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = { credentialUrlConflict: true, userMessagesListed: 'on_arrival' };
