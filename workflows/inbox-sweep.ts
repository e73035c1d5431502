import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  TemporalFailure,
  TimeoutFailure,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { agentSession, apiCall, localApiCall } from './activity-options.js';
import { ApprovalWait, type CarryOut, type Checkpoint } from './approval-wait.js';
import {
  ErrorType,
  reauthorizedSignal,
  scheduledSweepWorkflowId,
  statusQuery,
  sweepWorkflowId,
  type AgentSessionSummary,
  type ApprovalMode,
  type ConnectionsReport,
  type HandledReport,
  type SweepCarry,
  type SweepInput,
  type SweepOutcome,
  type SweepReport,
  type SweepSettings,
} from './contract.js';
import type { AgentSessionInput, InboxBatch, MintedToken, SealedSecret, VaultRef } from '../activities/types.js';
import { checkSweepInput } from './input.js';
import { limits } from './limits.js';
import { sweepMetrics } from './metrics.js';
import { ReauthWait } from './reauth-wait.js';
import { SweepReportBuilder } from './sweep-report.js';
import { SweepState } from './sweep-state.js';

// Summaries label each step in the Web UI's timeline.
const { checkConnections } = quick('checkConnections', 'Check Gmail and Calendar connections');
const { mintSessionToken } = quick('mintSessionToken', 'Mint a Scalekit session token');
const { upsertVault } = quick('upsertVault', 'Put the token in the user vault');
const { findUnhandled } = quick('findUnhandled', 'Read unread mail, compare the ledger');
const { confirmHandled } = quick('confirmHandled', 'Confirm events, record the ledger');
const { startSweep } = quick('startSweep', "Start or attach to the user's sweep");
const { archiveAgentSession } = quick('archiveAgentSession', 'Archive the finished session');
// Rare paths (a session given up, decisions booked) stay normal activities: nothing to save there.
const { endAgentSession } = proxyActivities<Activities>({ ...apiCall, summary: 'Interrupt and archive the session' });
const { recordDecisions } = proxyActivities<Activities>({
  ...apiCall,
  summary: 'Book the approved events, record the decisions',
});

/**
 * Runs before this change scheduled the short calls as normal activities; a run of theirs replayed by
 * this code must schedule the same commands, so `patched` keeps them normal there. New runs record
 * the patch marker once, in the workflow task of their first local activity (one marker event, no
 * action of its own: Cloud bills a task's markers as one action).
 */
const LOCAL_CALLS_PATCH = 'short-calls-as-local-activities';

/** A short call: a local activity (see `localApiCall`), or a normal one in runs begun before that. */
function quick<K extends keyof Activities>(name: K, summary: string): Pick<Activities, K> {
  const local = proxyLocalActivities<Activities>({ ...localApiCall, summary })[name] as Call;
  const remote = proxyActivities<Activities>({ ...apiCall, summary })[name] as Call;
  const call = (...args: unknown[]) =>
    patched(LOCAL_CALLS_PATCH)
      ? local(...args).catch((err: unknown) => {
          throw asActivityFailure(name, err);
        })
      : remote(...args);
  return { [name]: call } as unknown as Pick<Activities, K>;
}
type Call = (...args: unknown[]) => Promise<unknown>;

/**
 * A local activity's failure reaches the workflow as the activity's own error, where a normal
 * activity's comes wrapped in an `ActivityFailure` that names the activity and why retries stopped.
 * The sweep's failure keeps that form for its callers (the CLI, alerts on the activity type, the
 * failure tests): the SDK has no option for it, so the wrapping is here. Cancellation passes as is.
 */
function asActivityFailure(activityType: string, err: unknown): unknown {
  if (err instanceof ActivityFailure || err instanceof CancelledFailure || !(err instanceof TemporalFailure)) {
    return err;
  }
  const retryState =
    err instanceof ApplicationFailure && err.nonRetryable
      ? RetryState.NON_RETRYABLE_FAILURE
      : err instanceof TimeoutFailure
        ? RetryState.TIMEOUT
        : RetryState.MAXIMUM_ATTEMPTS_REACHED;
  return new ActivityFailure('Activity task failed', activityType, undefined, retryState, undefined, err);
}

/**
 * A scheduled tick is a ticket (the schedule cannot start the user's canonical id), and most ticks
 * find nothing new. (Only a schedule's ticket looks: a request id's ticket must name the sweep run
 * its caller's handle follows.) Temporal Cloud bills a schedule's execution three actions, the ticket's start
 * included; a second workflow for "nothing new" would add its start and its calls. So the ticket
 * first looks (`surelyIdle`, read-only, in the same workflow task as `startSweep` when it does
 * start the sweep: one action for both) and ends `nothing_new` itself when every connection is
 * ACTIVE and no unread mail is missing from the ledger. One sweep per user still holds: the look
 * changes nothing, and any work goes to the canonical sweep as before. Its failure (after one
 * attempt: it is only a saving) means "start the sweep", which then runs its full checks. Runs
 * begun before this change never looked, so the patch keeps their replay as it was.
 */
const IDLE_LOOK_PATCH = 'ticket-looks-before-starting-the-sweep';
const { surelyIdle: look } = proxyLocalActivities<Activities>({
  ...localApiCall,
  retry: { maximumAttempts: 1 },
  summary: 'Look for new mail before starting the sweep',
});
async function surelyIdle(input: SweepInput, sessionTimeoutMs: number): Promise<boolean> {
  if (!patched(IDLE_LOOK_PATCH)) return false;
  return look(input, sessionTimeoutMs).catch((err: unknown) => {
    log.info('the idle look failed; starting the sweep', { error: String(err) });
    return false;
  });
}

/** The finished session is archived beside its recording, not after it (`record`). */
const ARCHIVE_BESIDE_RECORDING_PATCH = 'archive-beside-recording';

/** The first connection check's mint runs beside it, not after it (`authorizedToken`). */
const MINT_BESIDE_CHECK_PATCH = 'mint-beside-first-check';

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
async function runSessionActivity(input: AgentSessionInput, boundMs: number, activityId: string) {
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
 * Every way a sweep goes back to authorization (check the connections, wait for consent while one is
 * inactive, mint a token), named so the code and the log say why. A way with a `budget` shares it
 * with the others of that budget; once it is spent, the failure that would have taken it stands.
 */
const WAYS_BACK = {
  inactiveBeforeRead: {
    why: 'a connection went inactive between the mint and the read',
    budget: 'inactive',
  },
  inactiveBeforeRecording: {
    why: 'the calendar went inactive before the events were recorded; the next read looks for them first',
    budget: 'inactive',
  },
  inactiveAfterSession: {
    // Bounded by the sessions a sweep may run (`MAX_SESSIONS`), not by a budget of its own.
    why: 'tool calls failed and a connection is now inactive: consent was revoked mid-session',
  },
  sealBroken: {
    why: 'the sealed token no longer opens (its key left the set, or the run was reset): mint afresh',
    budget: 'seal',
  },
  tokenTooShort: {
    // Bounded by time: each mint gives a fresh token, so only steps slower than its life repeat this.
    why: 'the steps since the mint used up the token margin a session needs: mint a fresh one',
  },
} as const satisfies Record<string, { why: string; budget?: string }>;
type WayBack = keyof typeof WAYS_BACK;
const BUDGETS: Record<string, number> = { inactive: MAX_SESSIONS, seal: 1 };

/** Thrown by a step to go back to authorization; caught only by `Sweep.run`. */
class BackToAuthorization {
  constructor(readonly way: WayBack) {}
}

/**
 * One sweep for one user: get an authorized session token (waiting for re-authorization if a
 * connection is inactive), read the unread mail and keep what the ledger has not handled; if any,
 * put the token in the user's vault, run one agent session over that batch, and record what the
 * calendar confirms. A run under any other id than the user's canonical one is a ticket that starts
 * or attaches to the canonical sweep (see `sweepWorkflowId` in the contract).
 */
export async function inboxSweep(input: SweepInput, carried?: SweepCarry): Promise<SweepReport> {
  const settings = checkSweepInput(input);
  log.info(carried ? 'sweep continued' : 'sweep started', { identifier: settings.identifier });
  const state = new SweepState(settings.identifier, carried?.status);
  setHandler(statusQuery, () => state.status);
  setHandler(reauthorizedSignal, () => state.reauthorizedSignalled());
  const report = new SweepReportBuilder(settings.identifier, carried?.report);

  if (workflowInfo().workflowId !== sweepWorkflowId(settings.identifier)) {
    state.enter('delegating');
    const scheduled = workflowInfo().workflowId.startsWith(`${scheduledSweepWorkflowId(settings.identifier)}-`);
    if (scheduled && (await surelyIdle(input, settings.sessionTimeout))) {
      return finished(state, report.report('nothing_new'));
    }
    return finished(state, report.delegated(await checkingInput(startSweep(input, workflowInfo().taskQueue))));
  }
  return new Sweep(input, settings, state, report, carried).run();
}

/**
 * The run's first activity, which also holds the input to the published schema (zod stays out of the
 * workflow bundle). Its `InvalidRequest` is the starter's fault, so the run fails with it as its own
 * failure (the message naming the field), as the workflow's own checks fail, not as "Activity task
 * failed". Only here: an `InvalidRequest` from a later call (a service's 400) keeps its activity.
 */
async function checkingInput<T>(firstActivity: Promise<T>): Promise<T> {
  try {
    return await firstActivity;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    throw cause instanceof ApplicationFailure && cause.type === ErrorType.InvalidRequest ? cause : err;
  }
}

function finished(state: SweepState, report: SweepReport): SweepReport {
  state.finish(report.outcome);
  sweepMetrics.finished(report.outcome);
  log.info('sweep finished', { identifier: report.identifier, outcome: report.outcome, sessions: report.sessions });
  return report;
}

/** The canonical sweep of one user: passes from authorization to a recorded batch, each step a method. */
class Sweep {
  private readonly identifier: string;
  private readonly reauth: ReauthWait;
  private readonly approvals: ApprovalWait;
  private readonly spent: Map<string, number>;
  private inputChecked = false;

  constructor(
    private readonly input: SweepInput,
    private readonly settings: SweepSettings,
    private readonly state: SweepState,
    private readonly report: SweepReportBuilder,
    private readonly carried?: SweepCarry,
  ) {
    this.identifier = settings.identifier;
    this.spent = new Map(Object.entries(carried?.spent ?? {}));
    this.reauth = new ReauthWait(
      state,
      {
        identifier: settings.identifier,
        reauthTimeoutMs: settings.reauthTimeout,
        recheckEveryMs: settings.recheckEvery,
        remindEveryMs: settings.remindEvery,
      },
      carried?.reauth,
    );
    this.approvals = new ApprovalWait(
      state,
      { identifier: settings.identifier, timeoutMs: settings.approvalTimeout },
      carried?.approval,
    );
  }

  async run(): Promise<SweepReport> {
    for (;;) {
      try {
        return await this.pass();
      } catch (err) {
        if (!(err instanceof BackToAuthorization)) throw err;
        log.info('back to authorization', { identifier: this.identifier, because: WAYS_BACK[err.way].why });
      }
    }
  }

  /** The process, as the README draws it. A step may instead go back to authorization (`WAYS_BACK`). */
  private async pass(): Promise<SweepReport> {
    // A run continued during the approval wait picks the wait up where the run before left it.
    if (this.approvals.takeResumable()) return this.afterSession(await this.resumeApproval());
    const token = await this.authorizedToken();
    if (!token) return this.finish('reauth_timed_out');
    const inbox = await this.readInbox(token);
    if (!inbox.batch || inbox.messageIds.length === 0) return this.finish(this.report.nothingLeftOutcome());
    const vault = await this.updateVault(token);
    const session = await this.runSession(token, inbox.batch, vault, inbox.approval);
    const confirmed = await this.record(token, inbox.messageIds, session);
    return this.afterSession(await this.awaitApproval(session, confirmed));
  }

  private async afterSession(unhandled: string[]): Promise<SweepReport> {
    if (unhandled.length > 0) await this.recheckConsent();
    return this.finish(this.report.sessionOutcome());
  }

  /**
   * Check connections; while one is inactive, wait for consent (`ReauthWait`: links, reminders,
   * periodic re-checks, the `reauthorized` signal, bounded from the first pause); then mint.
   * Undefined when the bound ran out.
   */
  private async authorizedToken(): Promise<MintedToken | undefined> {
    const { state, identifier } = this;
    // Connections are nearly always active, so the run's first check has its mint asked for beside it
    // (one round trip instead of two). Every later check (a re-check in a consent wait, a way back to
    // authorization, an approval's booking) comes first, so an inactive user's hourly re-checks ask
    // Scalekit for nothing more. Runs begun before this change replay as they ran.
    let early =
      !this.inputChecked && patched(MINT_BESIDE_CHECK_PATCH)
        ? mintSessionToken(identifier, this.settings.sessionTimeout)
        : undefined;
    // Awaited only when the check finds every connection active; otherwise its answer (most likely
    // Scalekit's refusal) is not wanted, and this keeps it from surfacing as an unhandled rejection.
    early?.catch(() => undefined);
    for (;;) {
      // Counted before the check: a signal that lands while it runs must still wake the wait below.
      const signalsBefore = state.reauthSignals;
      state.enter('checking_connections');
      // The run's first check also holds its input to the published schema (`parseSweepInput`: unknown
      // fields, exact types), which is kept out of this bundle; the cheap checks ran at the start.
      const connections = this.inputChecked
        ? await checkConnections(identifier)
        : await checkingInput(checkConnections(identifier, this.input));
      this.inputChecked = true;
      let blocked: ConnectionsReport | undefined = connections.inactive.length > 0 ? connections : undefined;
      let reason = blocked ? `${blocked.inactive.join(', ')} not active` : '';
      const mint = early;
      early = undefined;
      if (!blocked) {
        state.connectionsActive();
        state.enter('minting_token');
        try {
          const minted = await (mint ?? mintSessionToken(identifier, this.settings.sessionTimeout));
          sweepMetrics.tokenMinted();
          await this.reauth.resolved();
          return minted;
        } catch (err) {
          // Scalekit refused because a connection went inactive after the check: wait like any other.
          if (failureType(err) !== ErrorType.ConnectionInactive) throw err;
          blocked = connections;
          reason = 'Scalekit refused a session token although every connection was ACTIVE a moment ago';
        }
      }
      if (!(await this.reauth.wait(blocked, reason, signalsBefore))) return undefined;
      this.report.reauthWaited();
      await this.continueAsNewIfLong();
    }
  }

  /**
   * Bounded history for any wait: each re-check adds a dozen events, so a month of hourly re-checks
   * would near Temporal's limits (10,240 events warns, 51,200 terminates the run with no outcome).
   * Between two re-checks, or two steps of the approval wait, past the budget (or when Temporal
   * suggests it), the sweep continues as a new run under the same workflow id, carrying everything
   * it was: the deadline, the episode and its reminder cadence, the proposals with the decisions so
   * far and their deadline, the totals and the `status` the operator sees. Signals, the
   * `decideProposals` Update, queries, `status`, `list` and the callback's consent and approval links
   * address the workflow id, so they reach the new run; its search attributes are the old run's.
   */
  private readonly continueAsNewIfLong: Checkpoint = async () => {
    const info = workflowInfo();
    if (info.historyLength < limits().historyEventBudget && !info.continueAsNewSuggested) return;
    const approval = await this.approvals.carry();
    const carry: SweepCarry = {
      reauth: await this.reauth.carry(),
      ...(approval ? { approval } : {}),
      status: this.state.status,
      report: this.report.carry(),
      spent: Object.fromEntries(this.spent),
      continued: (this.carried?.continued ?? 0) + 1,
    };
    log.info('sweep continues as new', {
      identifier: this.identifier,
      events: info.historyLength,
      runs: carry.continued,
    });
    // An Update accepted in this run finishes here (its handler is synchronous), never lost in between.
    await condition(allHandlersFinished);
    await makeContinueAsNewFunc<typeof inboxSweep>({ typedSearchAttributes: info.typedSearchAttributes })(
      this.input,
      carry,
    );
  };

  private async readInbox(token: MintedToken): Promise<InboxBatch> {
    this.state.enter('reading_inbox');
    try {
      const inbox = await findUnhandled({
        identifier: this.identifier,
        token: token.token,
        maxEmails: this.settings.maxEmails,
        eventForEveryEmail: this.settings.eventForEveryEmail,
      });
      this.report.inboxRead(inbox);
      this.state.setAside(this.report.setAside);
      if (inbox.approval) this.state.approvalMode(inbox.approval);
      return inbox;
    } catch (err) {
      this.backOn(err, { [ErrorType.ConnectionInactive]: 'inactiveBeforeRead', [ErrorType.SealBroken]: 'sealBroken' });
      throw err;
    }
  }

  private async updateVault(token: MintedToken): Promise<VaultRef> {
    this.state.enter('updating_vault');
    try {
      const vault = await upsertVault(this.identifier, token.token);
      this.report.vaultUpdated(vault);
      return vault;
    } catch (err) {
      this.backOn(err, { [ErrorType.SealBroken]: 'sealBroken' });
      throw err;
    }
  }

  private async runSession(
    token: MintedToken,
    batch: SealedSecret,
    vault: VaultRef,
    approval: ApprovalMode | undefined,
  ): Promise<AgentSessionSummary> {
    const boundMs = sessionBound(this.settings.sessionTimeout, token);
    if (boundMs === undefined) return this.back('tokenTooShort');
    this.state.enter('running_session');
    const session = await runSessionActivity(
      {
        identifier: this.identifier,
        vaultId: vault.vaultId,
        batch,
        eventForEveryEmail: this.settings.eventForEveryEmail,
        ...(approval ? { approval } : {}),
      },
      boundMs,
      this.report.sessionStarting(),
    );
    this.report.sessionFinished(session);
    this.state.sessionFinished(session);
    sweepMetrics.session(session);
    return session;
  }

  /** Recorded whatever the session's end: an event that exists must never be booked again. */
  private async record(token: MintedToken, messageIds: string[], session: AgentSessionSummary): Promise<HandledReport> {
    this.state.enter('recording');
    // A message with a proposed event is the approval step's: no "no action" for it, and no failed
    // attempt either (it waits for the user, see awaitApproval).
    const proposed = new Set([
      ...this.approvals.proposedMessages,
      ...(session.proposals ?? []).map((p) => p.messageId),
    ]);
    // The session's turn is over, so its archive does not wait for the recording (runs begun before
    // this change archived after it, and replay keeps them so).
    const archived = patched(ARCHIVE_BESIDE_RECORDING_PATCH) ? this.archive(session) : undefined;
    let confirmed: HandledReport;
    try {
      confirmed = await confirmHandled({
        identifier: this.identifier,
        token: token.token,
        messageIds: messageIds.filter((id) => !proposed.has(id)),
        noAction: session.reportedNoAction.filter((id) => !proposed.has(id)),
        allowedEvents: session.allowedEvents,
        eventForEveryEmail: this.settings.eventForEveryEmail,
        ...(countsAsAttempt(session)
          ? { attempt: { sessionId: session.sessionId, reason: attemptReason(session) } }
          : {}),
      });
      this.report.recorded(confirmed);
      if (confirmed.gaveUp.length > 0) {
        this.state.setAside(this.report.setAside);
        sweepMetrics.gaveUp(confirmed.gaveUp.length);
      }
    } catch (err) {
      this.report.notRecorded(messageIds);
      this.backOn(err, { [ErrorType.ConnectionInactive]: 'inactiveBeforeRecording' });
      throw err;
    }
    await (archived ?? this.archive(session));
    return confirmed;
  }

  /** A failure only leaves the session to the next sweep's clean-up of sessions left behind, never fails this one. */
  private archive(session: AgentSessionSummary): Promise<unknown> {
    return archiveAgentSession({ identifier: this.identifier, sessionId: session.sessionId }).catch((err: unknown) =>
      log.warn('could not archive the finished session', { error: String(err) }),
    );
  }

  /**
   * Step "approval" (approval mode ask): the session's proposals wait for the user's decisions
   * (`ApprovalWait`, bounded by `approvalTimeout`); the worker books the approved ones and records the
   * denied ones. What is left unhandled is returned: a proposal approved but not booked (no token)
   * waits for the next sweep, which proposes it again.
   */
  private async awaitApproval(session: AgentSessionSummary, confirmed: HandledReport): Promise<string[]> {
    if (!session.proposals?.length) return confirmed.unhandled;
    const approval = await this.approvals.settle(session.proposals, this.carryOut, this.continueAsNewIfLong);
    return this.report.approvalSettled(approval, session.proposals);
  }

  /** The approval wait a previous run of this sweep continued from (see `continueAsNewIfLong`). */
  private async resumeApproval(): Promise<string[]> {
    const approval = await this.approvals.resume(this.carryOut, this.continueAsNewIfLong);
    return this.report.approvalSettled(approval, this.approvals.proposals);
  }

  /** Books approved proposals with a fresh token (the session's may be a day old), records denials. */
  private readonly carryOut: CarryOut = async (approved, denied) => {
    const minted = approved.length > 0 ? await this.authorizedToken() : undefined;
    const decide = (token: MintedToken | undefined) =>
      recordDecisions({
        identifier: this.identifier,
        ...(token ? { token: token.token } : {}),
        approved: token ? approved : [],
        denied,
      });
    try {
      return await decide(minted);
    } catch (err) {
      // The calendar went inactive since the mint: the denials are recorded, the approved messages
      // stay unhandled and the next sweep proposes them again.
      if (failureType(err) !== ErrorType.ConnectionInactive) throw err;
      return decide(undefined);
    }
  };

  /**
   * Mail left unhandled may mean consent was revoked mid-session: then wait for re-authorization and
   * handle what is left, instead of reporting a failure the user can fix.
   */
  private async recheckConsent(): Promise<void> {
    if (this.report.sessionCount >= MAX_SESSIONS) return;
    this.state.enter('checking_connections');
    if ((await checkConnections(this.identifier)).inactive.length > 0) this.back('inactiveAfterSession');
  }

  private finish(outcome: SweepOutcome): SweepReport {
    return finished(this.state, this.report.report(outcome));
  }

  /** Goes back to authorization when the failure's type names a way back whose budget is not spent. */
  private backOn(err: unknown, ways: Partial<Record<string, WayBack>>): void {
    const way = ways[failureType(err) ?? ''];
    if (way && this.withinBudget(way)) this.back(way);
  }

  private withinBudget(way: WayBack): boolean {
    const { budget } = WAYS_BACK[way] as { budget?: string };
    if (budget === undefined) return true;
    const spent = (this.spent.get(budget) ?? 0) + 1;
    this.spent.set(budget, spent);
    return spent <= BUDGETS[budget]!;
  }

  private back(way: WayBack): never {
    throw new BackToAuthorization(way);
  }
}

/**
 * A session that did not handle a message counts against it (poison mail, see `confirmHandled`),
 * unless the MCP server itself failed (unreachable, credential refused): then no message was at fault.
 */
function countsAsAttempt(session: AgentSessionSummary): boolean {
  return !session.error?.type.startsWith('mcp_');
}

/** What went wrong, from the service's own codes and counts: never the agent's words or the mail. */
function attemptReason(session: AgentSessionSummary): string {
  const error = session.error ? ` with ${session.error.type}` : '';
  const tools = session.toolErrors > 0 ? `, ${session.toolErrors} failed tool call(s)` : '';
  return `session ${session.sessionId} ended ${session.stopReason}${error}${tools}; the agent reported neither an event nor no action`;
}

function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
