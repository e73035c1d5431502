import type { ActivityDeps } from './deps.js';
import { createCheckConnections } from './check-connections.js';
import { withClassifiedFailures } from './failures.js';
import { createMintSessionToken } from './mint-session-token.js';
import { createProvisioning } from './provisioning.js';
import { createRunAgentSession } from './run-agent-session.js';
import { createUpsertVault } from './upsert-vault.js';

export type { ActivityDeps } from './deps.js';

/** The worker's activities, built over the clients they need (real ones, or emulator-backed in tests). */
export function createActivities(deps: ActivityDeps) {
  const provisioning = createProvisioning(deps);
  return withClassifiedFailures({
    ensureProvisioned: () => provisioning.ensure(),
    checkConnections: createCheckConnections(deps, provisioning),
    mintSessionToken: createMintSessionToken(deps, provisioning),
    upsertVault: createUpsertVault(deps, provisioning),
    runAgentSession: createRunAgentSession(deps, provisioning),
  });
}

export type Activities = ReturnType<typeof createActivities>;
