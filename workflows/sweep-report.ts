import { workflowInfo } from '@temporalio/workflow';
import type {
  AgentSessionSummary,
  ApprovalReport,
  Proposal,
  HandledReport,
  SweepOutcome,
  SweepCarry,
  SweepReport,
} from './contract.js';
import type { InboxBatch, VaultRef } from '../activities/types.js';

/**
 * The running totals of one sweep across its passes (a sweep sent back to authorization reads, and
 * may run a session, again), and the report they become. The outcome rules live here, beside the
 * figures they are read from.
 */
export class SweepReportBuilder {
  private readonly startedAt: string;
  private readonly handled: HandledReport;
  private reauthWaits: number;
  private sessions: number;
  private remaining: number;
  private recovered: number;
  private aside: number;
  /** Whether the last read's unread scan stopped at its bound (not carried: the next read says again). */
  private capped = false;
  private vault?: VaultRef;
  private session?: AgentSessionSummary;
  private approval?: ApprovalReport;

  /** `carried`: the totals of the runs this sweep continued from. */
  constructor(
    private readonly identifier: string,
    carried?: SweepCarry['report'],
  ) {
    this.startedAt = carried?.startedAt ?? new Date(workflowInfo().startTime).toISOString();
    this.handled = carried?.handled ?? { events: [], noAction: [], unhandled: [], gaveUp: [] };
    this.reauthWaits = carried?.reauthWaits ?? 0;
    this.sessions = carried?.sessions ?? 0;
    this.remaining = carried?.remaining ?? 0;
    this.recovered = carried?.recovered ?? 0;
    this.aside = carried?.aside ?? 0;
    this.vault = carried?.vault;
    this.session = carried?.session;
  }

  /** The totals so far, for the run this sweep continues as. */
  carry(): SweepCarry['report'] {
    const { startedAt, handled, reauthWaits, sessions, remaining, recovered, aside, vault, session } = this;
    return {
      startedAt,
      handled,
      reauthWaits,
      sessions,
      remaining,
      recovered,
      aside,
      ...(vault ? { vault } : {}),
      ...(session ? { session } : {}),
    };
  }

  get sessionCount(): number {
    return this.sessions;
  }

  reauthWaited(): void {
    this.reauthWaits += 1;
  }

  /** Unread messages set aside (`gave_up`): as the last read found them, plus what this sweep set aside since. */
  get setAside(): number {
    return this.aside;
  }

  inboxRead(inbox: Pick<InboxBatch, 'remaining' | 'recovered' | 'gaveUp' | 'unreadCapped' | 'bulkNoAction'>): void {
    this.capped = inbox.unreadCapped === true;
    this.handled.noAction.push(...(inbox.bulkNoAction ?? []));
    this.remaining = inbox.remaining;
    this.recovered += inbox.recovered;
    this.aside = inbox.gaveUp;
  }

  vaultUpdated(vault: VaultRef): void {
    this.vault = vault;
  }

  /** Counts a session about to start and names its activity (`agent-session-<n>`, see the contract). */
  sessionStarting(): string {
    this.sessions += 1;
    return `agent-session-${this.sessions}`;
  }

  sessionFinished(session: AgentSessionSummary): void {
    this.session = session;
  }

  recorded(confirmed: HandledReport): void {
    this.handled.events.push(...confirmed.events);
    this.handled.noAction.push(...confirmed.noAction);
    this.handled.unhandled = confirmed.unhandled;
    this.handled.gaveUp.push(...confirmed.gaveUp);
    this.aside += confirmed.gaveUp.length;
  }

  /**
   * The user decided the session's proposals: approved ones booked count as events, denied ones as
   * handled; an approved one left unbooked stays unhandled. Returns what is unhandled now.
   */
  approvalSettled(approval: ApprovalReport, proposals: Proposal[]): string[] {
    this.approval = approval;
    for (const { messageId, eventId } of approval.approved) {
      if (!this.handled.events.some((e) => e.messageId === messageId)) this.handled.events.push({ messageId, eventId });
    }
    const settled = new Set([...approval.approved, ...approval.denied].map((p) => p.messageId));
    const unbooked = proposals.map((p) => p.messageId).filter((id) => !settled.has(id));
    this.handled.unhandled = [...new Set([...this.handled.unhandled, ...unbooked])];
    return this.handled.unhandled;
  }

  /** Nothing recorded for these messages: they stay unhandled, for this sweep's next pass or the next sweep. */
  notRecorded(messageIds: string[]): void {
    this.handled.unhandled = messageIds;
  }

  /** The read found no unhandled mail: nothing new at all, or the end of what this sweep handled. */
  nothingLeftOutcome(): SweepOutcome {
    this.handled.unhandled = [];
    return this.sessions === 0 && !this.handledAny() ? 'nothing_new' : 'completed';
  }

  /** After a session and its recording, with no way back to authorization left to take. */
  sessionOutcome(): SweepOutcome {
    // A message set aside was not handled either: the sweep did not complete it.
    if (this.handled.unhandled.length + this.handled.gaveUp.length === 0) return 'completed';
    return this.handledAny() ? 'partial' : 'session_failed';
  }

  report(outcome: SweepOutcome): SweepReport {
    return {
      ...this.common(outcome),
      sessions: this.sessions,
      messages: {
        ...this.handled,
        remaining: this.remaining,
        recovered: this.recovered,
        setAside: this.aside,
        ...(this.capped ? { unreadCapped: true } : {}),
      },
      ...(this.vault ? { vault: this.vault } : {}),
      ...(this.session ? { session: this.session } : {}),
      ...(this.approval ? { approval: this.approval } : {}),
    };
  }

  /** A ticket's report: the sweep it started or attached to, and nothing of its own. */
  delegated(sweep: { workflowId: string; runId: string }): SweepReport {
    return { ...this.common('delegated'), sessions: 0, sweep };
  }

  private common(outcome: SweepOutcome) {
    return {
      identifier: this.identifier,
      outcome,
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      reauthWaits: this.reauthWaits,
    };
  }

  private handledAny(): boolean {
    return this.handled.events.length + this.handled.noAction.length + (this.approval?.denied.length ?? 0) > 0;
  }
}
