import type { TestProject } from 'vitest/node';
import { startDevServer } from '../scripts/dev-server.js';
import { freePort } from './helpers/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    temporalUiUrl: string;
  }
}

/** One real Temporal dev server for the whole suite; each test file attaches to it. */
export default async function setup(project: TestProject) {
  const uiPort = await freePort();
  const env = await startDevServer({ uiPort });
  project.provide('temporalAddress', env.address);
  project.provide('temporalUiUrl', `http://127.0.0.1:${uiPort}`);
  project.provide('temporalNamespace', env.namespace ?? 'default');
  return async () => {
    await env.teardown();
  };
}
