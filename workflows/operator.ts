import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { apiCall } from './activity-options.js';
import {
  APPROVAL_MODES,
  authLinksUpdate,
  retryMessageUpdate,
  setupUpdate,
  userSettingsUpdate,
  type DoctorInput,
  type DoctorRow,
  type UserSettingsInput,
} from './contract.js';
import { checkIdentifier, checkMessageId, invalidInput } from './input.js';

const { ensureProvisioned, authLinks, retryMessage, userSettings, doctorServices } =
  proxyActivities<Activities>(apiCall);

/**
 * One long-lived workflow per deployment (task queue) that runs the operator's helper calls, `setup`,
 * `auth-links`, `retry` and `user` (settings), as Updates: they run on a worker, so only workers hold Scalekit and Anthropic
 * credentials, and they add no run of their own to the Web UI's list (a workflow per call left dozens
 * of `inbox-agent:provision:<uuid>` runs after an hour). It holds no state; it continues as new when
 * its history grows long, after the calls in flight have answered.
 */
export async function inboxAgentOperator(): Promise<void> {
  setHandler(setupUpdate, () => ensureProvisioned(workflowInfo().taskQueue));
  // The validator refuses a bad identifier before anything is written to history.
  setHandler(authLinksUpdate, (identifier) => authLinks(identifier), {
    validator: (identifier) => void checkIdentifier(identifier),
  });
  setHandler(retryMessageUpdate, (identifier, messageId) => retryMessage(identifier, messageId), {
    validator: (identifier, messageId) => {
      checkIdentifier(identifier);
      checkMessageId(messageId);
    },
  });
  setHandler(
    userSettingsUpdate,
    (input) => userSettings({ identifier: input.identifier, ...(input.approval ? { approval: input.approval } : {}) }),
    { validator: checkSettingsInput },
  );
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof inboxAgentOperator>();
}

/** The user's settings are read or changed only for a valid identifier and a known approval mode. */
function checkSettingsInput(input: UserSettingsInput): void {
  checkIdentifier(input?.identifier);
  if (input.approval !== undefined && !APPROVAL_MODES.includes(input.approval)) {
    throw invalidInput(
      `invalid approval mode ${JSON.stringify(input.approval)}: expected ${APPROVAL_MODES.join(' or ')}`,
    );
  }
}

/** `doctor`'s checks that need the worker's credentials, run on a worker (they change nothing). */
export async function doctor(input: DoctorInput = {}): Promise<DoctorRow[]> {
  return doctorServices({
    read: input.read === true,
    ...(input.identifier === undefined ? {} : { identifier: checkIdentifier(input.identifier) }),
  });
}
