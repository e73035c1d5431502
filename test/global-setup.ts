import type { TestProject } from 'vitest/node';
import { startDevServer } from '../scripts/dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
  }
}

/** One real Temporal dev server for the whole suite; each test file attaches to it. */
export default async function setup(project: TestProject) {
  const env = await startDevServer();
  project.provide('temporalAddress', env.address);
  project.provide('temporalNamespace', env.namespace ?? 'default');
  return async () => {
    await env.teardown();
  };
}
