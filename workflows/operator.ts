/**
 * The workflows an operator runs through the CLI (setup, auth-links, retry, user settings). They run
 * on a worker so that only workers hold Scalekit and Anthropic credentials.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { apiCall } from './activity-options.js';
import {
  APPROVAL_MODES,
  type ConnectionsReport,
  type DoctorInput,
  type DoctorRow,
  type ProvisionResult,
  type UserSettings,
  type UserSettingsInput,
} from './contract.js';
import { checkIdentifier, checkMessageId, invalidInput } from './input.js';

const {
  ensureProvisioned,
  checkConnections,
  retryMessage: retryInLedger,
  userSettings: readOrWriteSettings,
  doctorServices,
} = proxyActivities<Activities>(apiCall);

/**
 * The one-time build, run on a worker so that only workers hold Scalekit and Anthropic credentials;
 * operators need nothing but Temporal access.
 */
export async function provision(): Promise<ProvisionResult> {
  return ensureProvisioned();
}

/** The authorize phase for one user: connection states, with fresh links for inactive ones. */
export async function connections(identifier: string): Promise<ConnectionsReport> {
  return checkConnections(checkIdentifier(identifier));
}

/** An operator's `retry`: a message set aside (`gave_up`) goes back in the queue of the user's sweeps. */
export async function retryMessage(identifier: string, messageId: string): Promise<boolean> {
  return retryInLedger(checkIdentifier(identifier), checkMessageId(messageId));
}

/**
 * The user's settings in the shared store (the approval mode): read, or changed when `approval` is
 * given. Run on a worker because only workers reach that store; clients need only Temporal access.
 */
export async function userSettings(input: UserSettingsInput): Promise<UserSettings> {
  const identifier = checkIdentifier(input?.identifier);
  if (input.approval !== undefined && !APPROVAL_MODES.includes(input.approval)) {
    throw invalidInput(
      `invalid approval mode ${JSON.stringify(input.approval)}: expected ${APPROVAL_MODES.join(' or ')}`,
    );
  }
  return readOrWriteSettings({ identifier, ...(input.approval ? { approval: input.approval } : {}) });
}

/** `doctor`'s checks that need the worker's credentials, run on a worker (they change nothing). */
export async function doctor(input: DoctorInput = {}): Promise<DoctorRow[]> {
  return doctorServices({
    read: input.read === true,
    ...(input.identifier === undefined ? {} : { identifier: checkIdentifier(input.identifier) }),
  });
}
