import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { apiCall } from './activity-options.js';
import type { ConnectionsReport, ProvisionResult } from './contract.js';
import { checkIdentifier, checkMessageId } from './input.js';

const { ensureProvisioned, checkConnections, retryMessage: retryInLedger } = proxyActivities<Activities>(apiCall);

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
