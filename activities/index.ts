import { Context } from '@temporalio/activity';
import { ErrorType, MAX_SESSION_TIMEOUT_MS, type SweepInput } from '../workflows/contract.js';
import { checkIdentifier, checkMessageId, parseDuration } from '../workflows/input.js';
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

/**
 * Activity arguments come from workflow history, which any starter can shape: the identifier is
 * checked at this door too (non-retryable InvalidRequest), whatever workflow scheduled the call.
 */
function forUser<A extends unknown[], R>(activity: (identifier: string, ...rest: A) => Promise<R>) {
  return async (identifier: string, ...rest: A): Promise<R> => activity(checkIdentifier(identifier), ...rest);
}

/** The worker's activities, built over the clients they need (real ones, or emulator-backed in tests). */
export function createActivities(deps: ActivityDeps) {
  const provisioning = createProvisioning(deps);
  const mint = createMintSessionToken(deps, provisioning);
  const runAgentSession = createRunAgentSession(deps, provisioning);
  const endAgentSession = createEndAgentSession(deps, provisioning);
  const archiveAgentSession = createArchiveAgentSession(deps);
  const ledger = createInboxLedger(deps, provisioning);
  const connectionsReport = createConnectionsReport(deps, provisioning);
  const notifyReauthorization = createNotifyReauthorization(connectionsReport, deps.notifier ?? logNotifier);
  const consentSchedule = createConsentSchedule(deps.schedules);
  const userSettings = createUserSettings(deps);
  const notifyApproval = createNotifyApproval(deps.notifier ?? logNotifier, deps.approvalLinks);
  const recordDecisions = createRecordDecisions(deps, provisioning);
  const doctorServices = createDoctor(deps);
  return withClassifiedFailures({
    ensureProvisioned: async () => {
      const result = await provisioning.ensure();
      // setup also creates the deployment's consent reconciler schedule (consent/reconciler.ts says why here).
      if (deps.schedules) await ensureReconcilerSchedule(deps.schedules, Context.current().info.taskQueue);
      return result;
    },
    reconcileConsentSchedules: createReconcileConsentSchedules(deps, provisioning),
    checkConnections: forUser(createCheckConnections(connectionsReport)),
    authLinks: forUser(createAuthLinks(deps, provisioning, connectionsReport)),
    notifyReauthorization: async (input: Parameters<typeof notifyReauthorization>[0]) =>
      notifyReauthorization({ ...input, identifier: checkIdentifier(input?.identifier) }),
    consentSchedule: async (input: Parameters<typeof consentSchedule>[0]) =>
      consentSchedule({ ...input, identifier: checkIdentifier(input?.identifier) }),
    mintSessionToken: forUser((identifier, sessionTimeoutMs: number) =>
      mint(identifier, parseDuration('sessionTimeoutMs', sessionTimeoutMs, MAX_SESSION_TIMEOUT_MS)),
    ),
    upsertVault: forUser(createUpsertVault(deps, provisioning)),
    runAgentSession: async (input: Parameters<typeof runAgentSession>[0]) =>
      runAgentSession({ ...input, identifier: checkIdentifier(input?.identifier) }),
    endAgentSession: async (input: Parameters<typeof endAgentSession>[0]) =>
      endAgentSession({ ...input, identifier: checkIdentifier(input?.identifier) }),
    archiveAgentSession: async (input: Parameters<typeof archiveAgentSession>[0]) =>
      archiveAgentSession({ ...input, identifier: checkIdentifier(input?.identifier) }),
    findUnhandled: async (input: Parameters<typeof ledger.findUnhandled>[0]) =>
      ledger.findUnhandled({ ...input, identifier: checkIdentifier(input?.identifier) }),
    confirmHandled: async (input: Parameters<typeof ledger.confirmHandled>[0]) =>
      ledger.confirmHandled({ ...input, identifier: checkIdentifier(input?.identifier) }),
    retryMessage: forUser((identifier, messageId: string) =>
      ledger.retryMessage(identifier, checkMessageId(messageId)),
    ),
    userSettings: async (input: Parameters<typeof userSettings>[0]) =>
      userSettings({ ...input, identifier: checkIdentifier(input?.identifier) }),
    notifyApproval: async (input: Parameters<typeof notifyApproval>[0]) =>
      notifyApproval({ ...input, identifier: checkIdentifier(input?.identifier) }),
    recordDecisions: async (input: Parameters<typeof recordDecisions>[0]) =>
      recordDecisions({ ...input, identifier: checkIdentifier(input?.identifier) }),
    doctorServices: async (input: Parameters<typeof doctorServices>[0]) =>
      doctorServices({
        read: input?.read === true,
        ...(input?.identifier === undefined ? {} : { identifier: checkIdentifier(input.identifier) }),
      }),
    startSweep: async (input: SweepInput, taskQueue: string) => {
      if (!deps.startSweep) throw nonRetryable(ErrorType.InvalidRequest, 'this worker cannot start sweeps');
      return deps.startSweep(input, taskQueue);
    },
  });
}

export type Activities = ReturnType<typeof createActivities>;
