import { z } from 'zod';

/**
 * ASSUMED: every behaviour in this module has no public source (shared/specs/real-service-evidence.md,
 * rows A21, A27, A31, A32, A34, A39; emulators/FIDELITY.md). Those that decide between product paths
 * are switches: the default is the reading the emulator has always served, the alternatives are the
 * other forms the evidence allows, so the product's tests can run against each (`configure()`, or
 * `PUT /_emulator/settings`, beside the documented-but-thinly-sourced switches of settings.ts).
 */
export const samplesSchema = z.object({
  /**
   * When a sent `user.message` appears in `events.list` (A39): on arrival, or only once the agent has
   * processed it (its `processed_at` set). The docs do not say; `on_arrival` by default.
   */
  userMessagesListed: z.enum(['on_arrival', 'when_processed']),
  /**
   * The `retry_status` of a `session.error` for an MCP server that refuses the credential or cannot be
   * reached (A34), and so how the turn ends: `exhausted` (the turn ends idle `retries_exhausted`, the
   * session stays usable; the platform's MCP connector page says such a session "still starts and
   * interacts normally") or `terminal` (the session ends `terminated`, as for any unrecoverable error).
   */
  mcpFailureRetry: z.enum(['exhausted', 'terminal']),
});
export type Samples = z.output<typeof samplesSchema>;

export const DEFAULT_SAMPLES: Samples = { userMessagesListed: 'on_arrival', mcpFailureRetry: 'exhausted' };

/**
 * ASSUMED too, but no switch: the product cannot take a different path for them, so a second form
 * would test nothing (each is noted where it is served).
 * - A21: the sessions and credentials lists accept `limit` up to 100 (pagination.ts); the product asks 100.
 * - A27: interrupt events carry an id (events.ts); AN-SK says they "may have empty IDs", and the
 *   product skips events without one (activities/session-tracker.ts), so an empty id changes nothing.
 * - A31: a turn ends `end_turn`, `retries_exhausted` or `requires_action` only (session-runner.ts);
 *   `refusal` and `budget_reached` are never emitted; the product ends the turn on any of them alike.
 * - A32: `session.status_terminated` follows only a `terminal` error (session-runner.ts).
 */
export const UNSWITCHED_ASSUMPTIONS = ['A21', 'A27', 'A31', 'A32'] as const;
