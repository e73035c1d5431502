import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { agentSession, apiCall } from './activity-options.js';
import {
  ErrorType,
  reauthorizedSignal,
  statusQuery,
  sweepWorkflowId,
  type AgentSessionInput,
  type AgentSessionSummary,
  type ConnectionsReport,
  type HandledReport,
  type MintedToken,
  type SweepInput,
  type SweepOutcome,
  type SweepReport,
  type VaultRef,
} from './contract.js';
import { SweepInputSchema } from './contract.schema.js';
import { checkSweepInput, invalidInput } from './input.js';
import { sweepMetrics } from './metrics.js';
import { ReauthWait } from './reauth-wait.js';
import { SweepState } from './sweep-state.js';

// Summaries label each step in the Web UI's timeline.
const { checkConnections } = proxyActivities<Activities>({
  ...apiCall,
  summary: 'Check Gmail and Calendar connections',
});
const { mintSessionToken } = proxyActivities<Activities>({ ...apiCall, summary: 'Mint a Scalekit session token' });
const { upsertVault } = proxyActivities<Activities>({ ...apiCall, summary: 'Put the token in the user vault' });
const { findUnhandled } = proxyActivities<Activities>({ ...apiCall, summary: 'Read unread mail, compare the ledger' });
const { confirmHandled } = proxyActivities<Activities>({ ...apiCall, summary: 'Confirm events, record the ledger' });
const { startSweep } = proxyActivities<Activities>({ ...apiCall, summary: "Start or attach to the user's sweep" });
const { endAgentSession } = proxyActivities<Activities>({ ...apiCall, summary: 'Interrupt and archive the session' });
const { archiveAgentSession } = proxyActivities<Activities>({ ...apiCall, summary: 'Archive the finished session' });

/** A sweep sent back to the re-authorization wait by a session runs at most this many sessions. */
const MAX_SESSIONS = 3;
/** A session ends this long before its token expires, whatever clock skew lies between us and Scalekit. */
const TOKEN_SAFETY_MS = 60_000;

/**
 * How long the session may run in all: the configured bound, cut to what the token has left (the
 * steps since the mint used some of its margin). Undefined when the token has too little left: mint
 * again. Scalekit's `expires_at` is trusted over our own arithmetic when it sent one.
 */
function sessionBound(sessionTimeoutMs: number, token: MintedToken): number | undefined {
  const tokenLeft = Date.parse(token.expiresAt) - Date.now() - TOKEN_SAFETY_MS;
  if (!Number.isFinite(tokenLeft)) return sessionTimeoutMs;
  const bound = Math.min(sessionTimeoutMs, tokenLeft);
  return bound >= Math.min(sessionTimeoutMs, 60_000) ? bound : undefined;
}

/**
 * Runs one agent session under its own activity id (the sessions it creates carry that id in their
 * metadata). When the sweep gives up on it (cancelled, out of time or attempts), the session is
 * interrupted and archived, so the agent books nothing after the sweep stopped.
 */
async function runSession(input: AgentSessionInput, boundMs: number, activityId: string) {
  const createdSince = new Date().toISOString();
  const { runAgentSession } = proxyActivities<Activities>({
    ...agentSession(boundMs, activityId),
    summary: 'Run the agent session',
  });
  try {
    return await runAgentSession(input);
  } catch (err) {
    // Not cancellable: a cancelled sweep is exactly when this must still run.
    await CancellationScope.nonCancellable(() =>
      endAgentSession({ identifier: input.identifier, activityId, createdSince }),
    ).catch((cleanup: unknown) => log.warn('could not end the agent session', { activityId, error: String(cleanup) }));
    throw err;
  }
}

/**
 * One sweep for one user: get an authorized session token (waiting for re-authorization if a
 * connection is inactive), read the unread mail and keep what the ledger has not handled; if any,
 * put the token in the user's vault, run one agent session over that batch, and record what the
 * calendar confirms. A run under any other id than the user's canonical one is a ticket that starts
 * or attaches to the canonical sweep (see `sweepWorkflowId` in the contract).
 */
export async function inboxSweep(input: SweepInput): Promise<SweepReport> {
  // Starters other than our client may send anything: bad input fails the run once (InvalidRequest).
  const settings = checkSweepInput(input);
  const { identifier } = settings;
  // Then the published schema (docs/schemas/sweep-input.json), which also refuses unknown fields.
  const parsed = SweepInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidInput(`invalid sweep input: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  log.info('sweep started', { identifier });
  const state = new SweepState(identifier);
  setHandler(statusQuery, () => state.status);
  setHandler(reauthorizedSignal, () => state.reauthorizedSignalled());

  const startedAt = new Date(workflowInfo().startTime).toISOString();
  let reauthWaits = 0;
  const report = (outcome: SweepOutcome, rest: Partial<SweepReport> = {}): SweepReport => {
    state.finish(outcome);
    sweepMetrics.finished(outcome);
    log.info('sweep finished', { identifier, outcome, sessions: rest.sessions ?? 0 });
    return {
      identifier,
      outcome,
      startedAt,
      finishedAt: new Date().toISOString(),
      reauthWaits,
      sessions: 0,
      ...rest,
    };
  };

  if (workflowInfo().workflowId !== sweepWorkflowId(identifier)) {
    state.enter('delegating');
    return report('delegated', { sweep: await startSweep(input, workflowInfo().taskQueue) });
  }

  const reauth = new ReauthWait(state, {
    identifier,
    reauthTimeoutMs: settings.reauthTimeoutMs,
    recheckEveryMs: settings.recheckEveryMs,
    remindEveryMs: settings.remindEveryMs,
  });
  /**
   * Check connections; while one is inactive, wait for consent (`ReauthWait`: links, reminders,
   * periodic re-checks, the `reauthorized` signal, bounded from the first pause); then mint.
   * Undefined when the bound ran out.
   */
  async function authorizedToken(): Promise<MintedToken | undefined> {
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
          const minted = await mintSessionToken(identifier, settings.sessionTimeoutMs);
          sweepMetrics.tokenMinted();
          await reauth.resolved();
          return minted;
        } catch (err) {
          // Scalekit refused because a connection went inactive after the check: wait like any other.
          if (failureType(err) !== ErrorType.ConnectionInactive) throw err;
          blocked = connections;
          reason = 'Scalekit refused a session token although every connection was ACTIVE a moment ago';
        }
      }
      if (!(await reauth.wait(blocked, reason, signalsBefore))) return undefined;
      reauthWaits += 1;
    }
  }

  let reminted = false;
  /** A seal that no longer opens (its key left the set, or the run was reset): mint afresh, once. */
  const remint = (err: unknown) => failureType(err) === ErrorType.SealBroken && !reminted && (reminted = true);

  const handled: HandledReport = { events: [], noAction: [], unhandled: [] };
  let remaining = 0;
  let recovered = 0;
  let sessions = 0;
  let vault: VaultRef | undefined;
  let session: AgentSessionSummary | undefined;
  const finish = (outcome: SweepOutcome) =>
    report(outcome, {
      sessions,
      messages: { ...handled, remaining, recovered },
      ...(vault ? { vault } : {}),
      ...(session ? { session } : {}),
    });

  let inactiveFindings = 0;
  /** The worker's own MCP calls found a connection inactive: back to the wait, a bounded number of times. */
  const wentInactive = (err: unknown) =>
    failureType(err) === ErrorType.ConnectionInactive && ++inactiveFindings <= MAX_SESSIONS;

  for (;;) {
    const minted = await authorizedToken();
    if (!minted) return finish('reauth_timed_out');

    state.enter('reading_inbox');
    let inbox;
    try {
      inbox = await findUnhandled({ identifier, token: minted.token, maxEmails: settings.maxEmails });
    } catch (err) {
      // A connection went inactive between the mint and the read: back to the wait.
      if (wentInactive(err) || remint(err)) continue;
      throw err;
    }
    remaining = inbox.remaining;
    recovered += inbox.recovered;
    if (!inbox.batch || inbox.messageIds.length === 0) {
      handled.unhandled = [];
      return finish(
        sessions === 0 && handled.events.length + handled.noAction.length === 0 ? 'nothing_new' : 'completed',
      );
    }

    state.enter('updating_vault');
    try {
      vault = await upsertVault(identifier, minted.token);
    } catch (err) {
      if (remint(err)) continue;
      throw err;
    }
    const boundMs = sessionBound(settings.sessionTimeoutMs, minted);
    // The steps since the mint (retried, slow) used up the token's margin: mint a fresh one.
    if (boundMs === undefined) continue;
    state.enter('running_session');
    sessions += 1;
    session = await runSession(
      { identifier, vaultId: vault.vaultId, batch: inbox.batch, eventForEveryEmail: settings.eventForEveryEmail },
      boundMs,
      `agent-session-${sessions}`,
    );
    state.sessionFinished(session.sessionId);
    sweepMetrics.session(session);

    // Recorded whatever the session's end: an event that exists must never be booked again.
    state.enter('recording');
    let confirmed;
    try {
      confirmed = await confirmHandled({
        identifier,
        token: minted.token,
        messageIds: inbox.messageIds,
        noAction: session.reportedNoAction,
        eventForEveryEmail: settings.eventForEveryEmail,
      });
    } catch (err) {
      // The calendar went inactive: nothing is recorded now; after re-authorization the read looks
      // for the events of these messages before any new session, so none is booked twice.
      handled.unhandled = inbox.messageIds;
      if (wentInactive(err)) continue;
      throw err;
    }
    handled.events.push(...confirmed.events);
    handled.noAction.push(...confirmed.noAction);
    handled.unhandled = confirmed.unhandled;
    // Its events are confirmed: the session is done. A failure here only leaves it for the next
    // sweep's clean-up of sessions left behind, never fails this one.
    await archiveAgentSession({ identifier, sessionId: session.sessionId }).catch((err: unknown) =>
      log.warn('could not archive the finished session', { error: String(err) }),
    );
    const clean = !session.error && session.toolErrors === 0;
    if (confirmed.unhandled.length === 0 && clean) return finish('completed');

    // A failed tool call may mean consent was revoked mid-session: then wait for re-authorization
    // and handle what is left, instead of reporting a failure the user can fix.
    if (sessions < MAX_SESSIONS && confirmed.unhandled.length > 0) {
      state.enter('checking_connections');
      if ((await checkConnections(identifier)).inactive.length > 0) continue;
    }
    const any = handled.events.length + handled.noAction.length > 0;
    return finish(confirmed.unhandled.length === 0 ? 'completed' : any ? 'partial' : 'session_failed');
  }
}

function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
