import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { agentSession, apiCall } from './activity-options.js';
import {
  ErrorType,
  reauthorizedSignal,
  sessionProgressSignal,
  statusQuery,
  type ConnectionsReport,
  type SweepInput,
  type SweepOutcome,
  type SweepReport,
} from './contract.js';
import { checkSweepInput } from './input.js';
import { SweepState } from './sweep-state.js';

// Summaries label each step in the Web UI's timeline.
const { checkConnections } = proxyActivities<Activities>({
  ...apiCall,
  summary: 'Check Gmail and Calendar connections',
});
const { mintSessionToken } = proxyActivities<Activities>({ ...apiCall, summary: 'Mint a Scalekit session token' });
const { upsertVault } = proxyActivities<Activities>({ ...apiCall, summary: 'Put the token in the user vault' });

/**
 * One sweep for one user: check connections (waiting for re-authorization if any is inactive),
 * mint a session token, put it in the user's vault, and run the agent session.
 */
export async function inboxSweep(input: SweepInput): Promise<SweepReport> {
  // Starters other than our client may send anything: bad input fails the run once (InvalidRequest).
  const { identifier, sessionTimeoutMs, reauthTimeoutMs } = checkSweepInput(input);
  const { runAgentSession } = proxyActivities<Activities>({
    ...agentSession(sessionTimeoutMs),
    summary: 'Run the agent session',
  });
  const state = new SweepState(identifier);
  setHandler(statusQuery, () => state.status);
  setHandler(reauthorizedSignal, () => state.reauthorizedSignalled());
  setHandler(sessionProgressSignal, (progress) => state.sessionProgress(progress));

  const startedAt = new Date(workflowInfo().startTime).toISOString();
  let reauthWaits = 0;
  let reauthDeadline: number | undefined;
  const report = (outcome: SweepOutcome, rest: Partial<SweepReport> = {}): SweepReport => {
    state.finish(outcome);
    return { identifier, outcome, startedAt, finishedAt: new Date().toISOString(), reauthWaits, ...rest };
  };

  let minted;
  for (;;) {
    // Counted before the check: a signal that lands while it runs must still wake the wait below.
    const signalsBefore = state.reauthSignals;
    state.enter('checking_connections');
    const connections = await checkConnections(identifier);
    let blocked: ConnectionsReport | undefined = connections.inactive.length > 0 ? connections : undefined;
    let reason = blocked ? `${blocked.inactive.join(', ')} not active` : '';
    if (!blocked) {
      state.connectionsActive();
      state.enter('minting_token');
      try {
        minted = await mintSessionToken(identifier, sessionTimeoutMs);
        break;
      } catch (err) {
        // Scalekit refused because a connection went inactive after the check: wait like any other.
        if (failureType(err) !== ErrorType.ConnectionInactive) throw err;
        blocked = connections;
        reason = 'Scalekit refused a session token although every connection was ACTIVE a moment ago';
      }
    }
    // The bound runs from the first pause, across every re-check that finds a connection still inactive.
    reauthDeadline ??= Date.now() + reauthTimeoutMs;
    state.awaitReauthorization(blocked, reason, new Date(reauthDeadline));
    const remaining = reauthDeadline - Date.now();
    if (remaining <= 0 || !(await condition(() => state.reauthSignals > signalsBefore, remaining))) {
      return report('reauth_timed_out');
    }
    reauthWaits += 1;
  }

  state.enter('updating_vault');
  const vault = await upsertVault(identifier, minted.token);
  state.enter('running_session');
  const session = await runAgentSession({ identifier, vaultId: vault.vaultId });
  state.sessionFinished(session.sessionId);
  return report(session.error ? 'session_failed' : 'completed', { vault, session });
}

function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
