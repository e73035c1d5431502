import { setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  searchAttributes,
  type ApprovalMode,
  type ProposalView,
  type ConnectionsReport,
  type SweepOutcome,
  type SweepPhase,
  type SweepStatus,
  type AgentSessionSummary,
} from './contract.js';
import { toolDecisionLines } from './tool-decisions.js';

/**
 * Phases that last (a wait of hours, a session of minutes) or that mark a ticket, and so are worth a
 * search attribute operators filter on. Each upsert is a history event and a billable action, so the
 * passing phases (checking, minting, reading, ...: milliseconds each) show in `status` and the Web
 * UI's details only, and the end writes phase and outcome in one upsert.
 */
const INDEXED_PHASES: ReadonlySet<SweepPhase> = new Set([
  'awaiting_reauthorization',
  'awaiting_approval',
  'running_session',
  'delegating',
]);

/** What a sweep exposes while it runs: the `status` query, search attributes and UI details. */
export class SweepState {
  private readonly current: SweepStatus;
  /** The phase the search attribute holds, so a wait's every re-check does not upsert it again. */
  private indexedPhase: string | undefined;
  /** The outcome the search attribute holds: preset at start (`sweepSearchAttributes`), so often final. */
  private readonly indexedOutcome: string | undefined;

  /** `carried`: the status of the run this sweep continued from, which the operator keeps seeing. */
  constructor(identifier: string, carried?: SweepStatus) {
    this.indexedPhase = workflowInfo().typedSearchAttributes.get(searchAttributes.phase);
    this.indexedOutcome = workflowInfo().typedSearchAttributes.get(searchAttributes.outcome);
    // Set by the sweep itself, so `status`, `reauthorized` and the callback find sweeps any client
    // started; a starter that already set it (our client, schedules) saves the upsert.
    if (workflowInfo().typedSearchAttributes.get(searchAttributes.identifier) !== identifier) {
      upsertSearchAttributes([{ key: searchAttributes.identifier, value: identifier }]);
    }
    this.current = carried
      ? { ...carried, identifier }
      : {
          identifier,
          phase: 'checking_connections',
          inactiveConnections: [],
          authLinks: [],
          reauthSignals: 0,
        };
  }

  get status(): SweepStatus {
    return this.current;
  }

  get reauthSignals(): number {
    return this.current.reauthSignals;
  }

  enter(phase: SweepPhase): void {
    if (this.current.phase === phase) return;
    this.current.phase = phase;
    if (INDEXED_PHASES.has(phase) && this.indexedPhase !== phase) {
      this.indexedPhase = phase;
      upsertSearchAttributes([{ key: searchAttributes.phase, value: phase }]);
    }
    if (phase !== 'awaiting_reauthorization' && phase !== 'awaiting_approval') {
      this.details(`**${phase.replaceAll('_', ' ')}**`);
    }
  }

  awaitReauthorization(
    report: ConnectionsReport,
    reason: string,
    deadline: Date,
    since: string,
    nextRecheck: Date,
  ): void {
    this.current.waitingBecause = reason;
    this.current.inactiveConnections = report.inactive;
    this.current.authLinks = report.connections
      .filter((c) => c.authLink)
      .map((c) => ({
        connection: c.connection,
        url: c.authLink!,
        createdAt: c.linkCreatedAt,
        ...(c.linkExpiresAt ? { expiresAt: c.linkExpiresAt } : {}),
      }));
    this.current.reauthDeadline = deadline.toISOString();
    this.current.waitingSince = since;
    this.current.nextRecheckAt = nextRecheck.toISOString();
    this.enter('awaiting_reauthorization');
    // A query cannot make links, so the details carry each link's expiry and the command for a fresh one.
    const links = this.current.authLinks.map(
      (l) =>
        `- ${l.connection}: [${l.url}](${l.url}) (made ${l.createdAt}${l.expiresAt ? `, expires ${l.expiresAt}` : ''})`,
    );
    const who = this.current.identifier;
    this.details(
      [
        `**Waiting for re-authorization** since ${since}, until ${deadline.toISOString()}: ${reason}.`,
        links.join('\n'),
        `Links live about a minute: the inbox-agent CLI's \`auth-links ${who}\` makes fresh ones (reminders carry fresh ones too).`,
        `Connections are re-checked at ${nextRecheck.toISOString()}, or at once on the \`reauthorized\` signal (the consent callback sends it; so does _Send a Signal_ here, or the CLI's \`reauthorized ${who}\`).`,
      ].join('\n\n'),
    );
  }

  reauthorizedSignalled(): void {
    this.current.reauthSignals += 1;
  }

  connectionsActive(): void {
    delete this.current.waitingBecause;
    delete this.current.nextRecheckAt;
    this.current.inactiveConnections = [];
    this.current.authLinks = [];
  }

  /** Unread messages set aside (`gave_up`): in `status`, and in the Web UI details at the end. */
  setAside(count: number): void {
    if (count > 0) this.current.setAside = count;
    else delete this.current.setAside;
  }

  approvalMode(mode: ApprovalMode): void {
    this.current.approval = mode;
  }

  /**
   * Shows the proposals (all of them: pending ones with what to do, decided ones with the outcome);
   * with a deadline, the sweep waits for decisions. Titles are mail subjects: the details are a
   * payload (encrypted by the codec), never a search attribute.
   */
  showProposals(views: ProposalView[], deadline?: Date): void {
    this.current.proposals = views.map((v) => ({ ...v }));
    if (!deadline) {
      delete this.current.approvalDeadline;
      return;
    }
    this.current.approvalDeadline = deadline.toISOString();
    this.enter('awaiting_approval');
    const who = this.current.identifier;
    const pending = views.filter((v) => v.state === 'pending');
    const lines = views.map(
      (v) =>
        `- \`${v.id}\` ${v.state === 'pending' ? '' : `(${v.state}${v.reason ? `: ${v.reason}` : ''}) `}**${v.title}**, ${v.start} to ${v.end}`,
    );
    this.details(
      [
        `**Waiting for approval** of ${pending.length} proposed event(s) until ${deadline.toISOString()}; then the undecided ones are denied.`,
        lines.join('\n'),
        `Approve: \`inbox-agent approve ${who} [ID…]\`; deny: \`inbox-agent approve ${who} --deny --reason "…" [ID…]\` (no ID: every pending one). The user's notice carries approve and deny links.`,
        `Or send the \`decideProposals\` Update (Web UI: Send an Update) with \`{"decisions":[{"id":"${pending[0]?.id ?? '<id>'}","decision":"approve"}]}\`.`,
      ].join('\n\n'),
    );
  }

  /** A session's tool decisions add to the sweep's (a sweep may run more than one session). */
  sessionFinished({ sessionId, toolDecisions }: AgentSessionSummary): void {
    this.current.sessionId = sessionId;
    if (toolDecisions.length > 0)
      this.current.toolDecisions = [...(this.current.toolDecisions ?? []), ...toolDecisions];
  }

  /**
   * The Web UI's current details: what the phase says, then the tool policy's decisions so far, so
   * an operator sees a denied call (tool, reason, message id; never mail text) in every later phase.
   */
  private details(text: string): void {
    const decisions = this.current.toolDecisions;
    if (!decisions?.length) return setCurrentDetails(text);
    const { totals, lines } = toolDecisionLines(decisions);
    setCurrentDetails(
      [text, `**Tool calls** (the worker's tool policy): ${totals}`, lines.map((l) => `- ${l}`).join('\n')].join(
        '\n\n',
      ),
    );
  }

  finish(outcome: SweepOutcome): void {
    this.current.phase = outcome;
    const aside = this.current.setAside;
    this.details(
      [
        `**${outcome.replaceAll('_', ' ')}**`,
        ...(aside
          ? [
              `${aside} unread message(s) set aside (\`gave_up\`): three sessions did not handle them. The ledger keeps the ` +
                `last reason; \`inbox-agent retry ${this.current.identifier} <messageId>\` puts one back in the queue.`,
            ]
          : []),
      ].join('\n\n'),
    );
    // The count rides in the memo, so `list` shows it from visibility without a query per sweep.
    if (aside) upsertMemo({ setAside: aside });
    // Only what differs, in one upsert (each is an action and an event): an idle sweep and a ticket
    // started with their attributes write none. The phase ends as the outcome where a phase that
    // lasts was indexed (a ticket's `delegating` is final: tickets are listed by it).
    const changed = [
      ...(this.indexedPhase !== undefined && this.indexedPhase !== 'delegating' && this.indexedPhase !== outcome
        ? [{ key: searchAttributes.phase, value: outcome }]
        : []),
      ...(this.indexedOutcome !== outcome ? [{ key: searchAttributes.outcome, value: outcome }] : []),
    ];
    if (changed.length > 0) upsertSearchAttributes(changed);
  }
}
