import { ErrorType, type SweepInput } from '../workflows/contract.js';
import { parseSweepInput } from '../workflows/contract.schema.js';
import type { ActivityDeps } from './deps.js';
import { createNotifyApproval, createRecordDecisions, createUserSettings } from './approvals.js';
import { createAuthLinks, createCheckConnections, createConnectionsReport } from './check-connections.js';
import { createDoctor } from './doctor.js';
import { createInboxLedger } from './inbox-ledger.js';
import { nonRetryable, withClassifiedFailures } from './failures.js';
import { createMintSessionToken } from './mint-session-token.js';
import { createNotifyReauthorization, logNotifier } from './notify.js';
import { createProvisioning } from './provisioning.js';
import { createArchiveAgentSession, createEndAgentSession, createRunAgentSession } from './run-agent-session.js';
import { createConsentSchedule } from '../consent/schedules.js';
import { ensureReconcilerSchedule } from '../consent/reconciler.js';
import { createReconcileConsentSchedules } from './reconcile-consent.js';
import { createUpsertVault } from './upsert-vault.js';

export type { ActivityDeps } from './deps.js';

/** The worker's activities, built over the clients they need (real ones, or emulator-backed in tests). */
export function createActivities(deps: ActivityDeps) {
  const provisioning = createProvisioning(deps);
  const connectionsReport = createConnectionsReport(deps, provisioning);
  const checkConnections = createCheckConnections(connectionsReport);
  const ledger = createInboxLedger(deps, provisioning);
  const mintSessionToken = createMintSessionToken(deps, provisioning);
  // No identifier checks here: the workflows checked their input (and the operator's Updates their
  // arguments) before scheduling anything, and activity arguments come from those workflows.
  return withClassifiedFailures({
    /** `reconcilerTaskQueue`: the queue the operator workflow runs on, where the reconciler's runs go too. */
    ensureProvisioned: async (reconcilerTaskQueue?: string) => {
      const result = await provisioning.ensure();
      // setup also creates the deployment's consent reconciler schedule (consent/reconciler.ts says why here).
      if (deps.schedules && reconcilerTaskQueue) await ensureReconcilerSchedule(deps.schedules, reconcilerTaskQueue);
      return result;
    },
    reconcileConsentSchedules: createReconcileConsentSchedules(deps, provisioning),
    /**
     * A sweep's first check also holds the sweep's input to the published schema, which the workflow
     * checks only cheaply (zod is kept out of the workflow bundle): a starter other than our client
     * that sends an unknown field or a wrong type fails here, once, with InvalidRequest.
     */
    checkConnections: async (identifier: string, sweep?: SweepInput) => {
      if (sweep !== undefined) parseSweepInput(sweep);
      return checkConnections(identifier);
    },
    authLinks: createAuthLinks(deps, provisioning, connectionsReport),
    notifyReauthorization: createNotifyReauthorization(connectionsReport, deps.notifier ?? logNotifier),
    consentSchedule: createConsentSchedule(deps.schedules),
    mintSessionToken,
    upsertVault: createUpsertVault(deps, provisioning),
    runAgentSession: createRunAgentSession(deps, provisioning),
    endAgentSession: createEndAgentSession(deps, provisioning),
    archiveAgentSession: createArchiveAgentSession(deps),
    findUnhandled: ledger.findUnhandled,
    confirmHandled: ledger.confirmHandled,
    retryMessage: ledger.retryMessage,
    userSettings: createUserSettings(deps),
    notifyApproval: createNotifyApproval(deps.notifier ?? logNotifier, deps.approvalLinks),
    recordDecisions: createRecordDecisions(deps, provisioning),
    doctorServices: createDoctor(deps),
    /**
     * A scheduled ticket's look before it starts the user's sweep: true when there is surely nothing
     * to do (every connection ACTIVE, no unread mail missing from the ledger), so an idle tick ends in
     * its ticket and costs no second workflow (docs/benchmarks.md, Temporal cost). The token it mints
     * never leaves this activity. Anything else, a failure included, is "not idle": the sweep starts
     * and decides with its full checks, so this look can only save work, never skip any.
     */
    surelyIdle: async (input: SweepInput, sessionTimeoutMs: number) => {
      const { identifier } = parseSweepInput(input);
      if ((await checkConnections(identifier)).inactive.length > 0) return false;
      const { token } = await mintSessionToken(identifier, sessionTimeoutMs);
      return !(await ledger.anyUnhandled(identifier, token));
    },
    /** A ticket's one activity, so also where its input meets the published schema. */
    startSweep: async (input: SweepInput, taskQueue: string) => {
      parseSweepInput(input);
      if (!deps.startSweep) throw nonRetryable(ErrorType.InvalidRequest, 'this worker cannot start sweeps');
      return deps.startSweep(input, taskQueue);
    },
  });
}

export type Activities = ReturnType<typeof createActivities>;
