import type { Request } from 'express';
import { timestamp } from '../clock.js';
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

/**
 * The delete and archive routes of a top-level resource (`/v1/<plural>/:<kind>_id`), which the API
 * documents alike for environments and vaults: delete answers `{ id, type: '<kind>_deleted' }`,
 * archive stamps `archived_at` once and answers the object. `find` throws the 404.
 */
export function deleteAndArchiveRoutes<T extends { archived_at: string | null }>(
  on: RouteContext['on'],
  kind: string,
  plural: string,
  find: (id: string) => T,
  remove: (id: string) => void,
): void {
  const path = `/v1/${plural}/:${kind}_id`;
  on('delete', path, (req, res) => {
    const id = param(req, `${kind}_id`);
    find(id);
    remove(id);
    res.json({ id, type: `${kind}_deleted` });
  });
  on('post', `${path}/archive`, (req, res) => {
    const object = find(param(req, `${kind}_id`));
    object.archived_at ??= timestamp();
    res.json(object);
  });
}
