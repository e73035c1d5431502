import type { Request } from 'express';
import type { Handler, Method } from '../../common/http.js';
import type { RunnerDeps } from '../session-runner.js';
import type { Settings } from '../settings.js';
import type { Store } from '../store.js';

/** What every route module gets: a counted, fault-injectable `on(...)` and the emulator's state. */
export interface RouteContext {
  on(method: Method, path: string, handler: Handler): void;
  store: Store;
  runnerDeps: RunnerDeps;
  heartbeatMs: number;
  /** Read at call time: tests switch them on a running emulator. */
  settings: Settings;
}

export function param(req: Request, name: string): string {
  return String(req.params[name]);
}
