import type { Control } from '../common/control.js';
import type { ScalekitState } from './state.js';
import type { Tokens } from './tokens.js';

/** What every part of the emulator shares. `url` is known only once the port is bound. */
export interface Context {
  readonly state: ScalekitState;
  readonly tokens: Tokens;
  readonly control: Control;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly magicLinkTtlMs: number;
  readonly now: () => number;
  url: string;
}
