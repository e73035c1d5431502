import type { Control } from '../common/control.js';
import type { Samples } from './samples.js';
import type { ScalekitState } from './state.js';
import type { Tokens } from './tokens.js';

/**
 * Scalekit's two user-verification modes (Agent Auth > User Verification, scalekit-inc/developer-docs
 * `agentkit/user-verification.mdx`): `custom`, the production mode, where the app's `user_verify_url`
 * checks the user against its own session, and `dashboard` ("Scalekit users only"), a test mode.
 */
export type UserVerificationMode = 'custom' | 'dashboard';

/** What every part of the emulator shares. `url` is known only once the port is bound. */
export interface Context {
  readonly state: ScalekitState;
  readonly tokens: Tokens;
  readonly control: Control;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly magicLinkTtlMs: number;
  readonly now: () => number;
  userVerification: UserVerificationMode;
  /** The assumed answers served now (samples.ts); tests switch them. */
  readonly samples: Samples;
  url: string;
}
