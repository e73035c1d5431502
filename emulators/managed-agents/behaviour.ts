import { z } from 'zod';

/**
 * How the scripted "model" behaves, switchable over the control plane (`POST /_emulator/agent`).
 * Not a documented behaviour of the service: it stands in for what a real model may be talked into,
 * so the product's defences can be tested against an agent that does the wrong thing.
 */
export const agentBehaviourSchema = z.object({
  /**
   * Off by default. On: an email whose subject or body contains `[inject]` makes the agent attempt
   * every attack of issue 22 (see injection.ts) before it handles that email as usual.
   */
  obeyInstructionsInMail: z.boolean(),
  /**
   * Poison mail: the agent fails on these message ids every time (as a model may on an email too long,
   * one it refuses, or one whose tool call keeps failing): no event, no no-action judgement. Empty by default.
   */
  failOnMessageIds: z.array(z.string().min(1)),
});
export type AgentBehaviour = z.output<typeof agentBehaviourSchema>;

export const DEFAULT_BEHAVIOUR: AgentBehaviour = { obeyInstructionsInMail: false, failOnMessageIds: [] };
