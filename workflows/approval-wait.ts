import { ApplicationFailure, condition, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { notification } from './activity-options.js';
import {
  decideProposalsUpdate,
  ErrorType,
  MAX_DECIDED_BY_CHARS,
  MAX_REASON_CHARS,
  type ApprovalReport,
  type DecideProposalsInput,
  type DecideProposalsResult,
  type Proposal,
  type ProposalView,
  type SweepCarry,
} from './contract.js';
import type { DecidedProposals } from '../activities/types.js';
import { show } from './input.js';
import type { SweepState } from './sweep-state.js';

const { notifyApproval } = proxyActivities<Activities>({
  ...notification,
  summary: 'Ask the user to approve the proposed events',
});

/** Books the approved proposals and records the denied ones; undefined when no token could be had. */
export type CarryOut = (
  approved: Proposal[],
  denied: Array<{ proposal: Proposal; reason: string }>,
) => Promise<DecidedProposals | undefined>;

type Entry = NonNullable<SweepCarry['approval']>['proposals'][number];

/** Called between steps of the wait: the sweep continues as new there when its history is long. */
export type Checkpoint = () => Promise<void>;

/**
 * Human approval of the events a session proposed (approval mode `ask`).
 *
 * Why the sweep waits here and not inside the session: a session holds a session token that lives
 * at most as long as the session bound, while a person may take a day to answer. So the tool policy
 * turns each allowed `create_event` into a proposal and the session ends; the sweep waits durably
 * (a timer and an Update handler: no activity, no token, nothing held open), and the worker itself
 * books what the user approved, with a token minted then.
 *
 * Decisions arrive as the `decideProposals` Update, whose validator refuses ids that are not
 * pending and a second decision for one id, before anything reaches history: a replayed link, a
 * decision for another sweep's proposal or a double click changes nothing and the caller hears why.
 * An accepted decision is in history, so a worker crash loses none; carrying it out is idempotent
 * (`recordDecisions` looks for the message's event before booking one).
 */
export class ApprovalWait {
  private readonly entries = new Map<string, Entry>();
  private timedOut = false;
  /** When undecided proposals are denied (ms); set when fresh proposals arrive. */
  private deadline?: number;
  /** The wait a previous run of this sweep was in when it continued as new. */
  private resumable: boolean;
  /** Notices on their way (not awaited by the wait), settled before the run continues as new. */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly state: SweepState,
    private readonly options: { identifier: string; timeoutMs: number },
    carried?: SweepCarry['approval'],
  ) {
    setHandler(decideProposalsUpdate, (input) => this.decide(input), { validator: (input) => this.validate(input) });
    for (const e of carried?.proposals ?? []) this.entries.set(e.id, { ...e });
    this.timedOut = carried?.timedOut ?? false;
    // Held to this run's own bound too: a carry is workflow input, which any starter can shape.
    if (carried?.deadline !== undefined) this.deadline = Math.min(carried.deadline, Date.now() + options.timeoutMs);
    this.resumable = this.inProgress;
  }

  /** Some proposal is pending, or decided and not yet carried out. */
  get inProgress(): boolean {
    return [...this.entries.values()].some((e) => e.state === 'pending' || !e.done);
  }

  /** Message ids that have a proposal in this sweep (their "no action" is not the agent's to give). */
  get proposedMessages(): Set<string> {
    return new Set([...this.entries.values()].map((e) => e.messageId));
  }

  /** Every proposal of this sweep. */
  get proposals(): Proposal[] {
    return [...this.entries.values()].map(proposalOf);
  }

  /**
   * True once, in a run continued from one that waited for approval: the sweep settles that wait
   * (`resume`) before anything else.
   */
  takeResumable(): boolean {
    const resumable = this.resumable;
    this.resumable = false;
    return resumable;
  }

  /**
   * The wait as it stands, for the run this sweep continues as: proposals, decisions so far, the
   * deadline. The links and `approve` keep working there because they address the workflow id and
   * name proposals by id, which the new run keeps. Notices still on their way land first.
   */
  async carry(): Promise<SweepCarry['approval']> {
    await Promise.allSettled([...this.sending]);
    if (this.entries.size === 0) return undefined;
    return {
      proposals: [...this.entries.values()].map((e) => ({ ...e })),
      ...(this.deadline !== undefined ? { deadline: this.deadline } : {}),
      timedOut: this.timedOut,
    };
  }

  /**
   * Waits for decisions on `proposals` (those this sweep has not seen before), carrying each out as
   * it arrives, until none is pending: at the deadline, every undecided one is denied.
   */
  async settle(proposals: Proposal[], carryOut: CarryOut, checkpoint: Checkpoint): Promise<ApprovalReport> {
    const fresh = proposals.filter((p) => !this.entries.has(p.id));
    for (const p of fresh) this.entries.set(p.id, { ...p, state: 'pending' });
    if (fresh.length > 0) {
      this.deadline = Date.now() + this.options.timeoutMs;
      this.show(new Date(this.deadline));
      const sent = this.notify(fresh, new Date(this.deadline)).finally(() => this.sending.delete(sent));
      this.sending.add(sent);
    }
    return this.resume(carryOut, checkpoint);
  }

  /** The wait itself, from where it stands (fresh, or carried from the run before). */
  async resume(carryOut: CarryOut, checkpoint: Checkpoint): Promise<ApprovalReport> {
    const waiting = () => [...this.entries.values()].filter((e) => e.state === 'pending');
    const undone = () => [...this.entries.values()].filter((e) => e.state !== 'pending' && !e.done);
    for (;;) {
      if (waiting().length === 0 && undone().length === 0) break;
      // Each decision adds an Update and the steps that carry it out: a wait with many decisions,
      // or one that waits for consent to book them, continues as new here like any other wait.
      await checkpoint();
      const deadline = this.deadline ?? Date.now();
      const left = deadline - Date.now();
      if (!(await condition(() => undone().length > 0, Math.max(left, 1))) && waiting().length > 0) {
        this.timedOut = true;
        const reason = `no decision by ${new Date(deadline).toISOString()}`;
        for (const e of waiting()) Object.assign(e, { state: 'denied', reason });
        log.info('approval wait ran out', { identifier: this.options.identifier, denied: undone().length });
      }
      const batch = undone();
      if (batch.length === 0) continue;
      this.state.enter('recording');
      const approved = batch.filter((e) => e.state === 'approved');
      const denied = batch.filter((e) => e.state === 'denied').map((e) => ({ proposal: e, reason: e.reason! }));
      const result = await carryOut(
        approved.map(proposalOf),
        denied.map((d) => ({ ...d, proposal: proposalOf(d.proposal) })),
      );
      for (const e of batch) {
        const booked = result?.events.find((b) => b.id === e.id);
        if (booked) e.eventId = booked.eventId;
        // Without a token an approved proposal stays unbooked: the message is unhandled, and the
        // next sweep proposes it again.
        e.done = true;
      }
      this.show(waiting().length > 0 ? new Date(deadline) : undefined);
    }
    this.show();
    return this.report();
  }

  /**
   * Cheap, zod-free checks (zod stays out of the workflow bundle; our client parses the decisions with
   * `DecideProposalsInputSchema` before it sends them): only pending proposals of this sweep, once
   * each, with a known decision and bounded free text.
   */
  private validate(input: DecideProposalsInput): void {
    const decisions: unknown = input?.decisions;
    if (!Array.isArray(decisions) || decisions.length === 0) throw refused('invalid decisions: expected at least one');
    if (input.by !== undefined && !boundedText(input.by, MAX_DECIDED_BY_CHARS)) {
      throw refused(`invalid decisions: "by" is at most ${MAX_DECIDED_BY_CHARS} characters`);
    }
    const seen = new Set<string>();
    for (const { id, decision, reason } of decisions as DecideProposalsInput['decisions']) {
      if (decision !== 'approve' && decision !== 'deny') {
        throw refused(`invalid decision ${show(decision)}: expected approve or deny`);
      }
      if (reason !== undefined && !boundedText(reason, MAX_REASON_CHARS)) {
        throw refused(`invalid decisions: a reason is at most ${MAX_REASON_CHARS} characters`);
      }
      if (!boundedText(id, 100) || id.length === 0) throw refused(`invalid proposal id ${show(id)}`);
      if (seen.has(id)) throw refused(`proposal ${id} is named twice`);
      seen.add(id);
      const entry = this.entries.get(id);
      if (!entry) throw refused(`no proposal ${id} in this sweep`);
      if (entry.state !== 'pending') throw refused(`proposal ${id} was already ${entry.state}`);
    }
  }

  private decide(input: DecideProposalsInput): DecideProposalsResult {
    const decided: DecideProposalsResult['decided'] = [];
    for (const { id, decision, reason } of input.decisions) {
      const entry = this.entries.get(id)!;
      if (decision === 'approve') entry.state = 'approved';
      else Object.assign(entry, { state: 'denied', reason: reason?.trim() || 'denied by the user' });
      decided.push({ id, decision });
    }
    log.info('proposals decided', { identifier: this.options.identifier, by: input.by, count: decided.length });
    const pending = [...this.entries.values()].filter((e) => e.state === 'pending').map((e) => e.id);
    this.show(pending.length > 0 ? new Date(this.state.status.approvalDeadline!) : undefined);
    return { decided, pending };
  }

  private report(): ApprovalReport {
    const all = [...this.entries.values()];
    return {
      approved: all.flatMap((e) =>
        e.state === 'approved' && e.eventId ? [{ id: e.id, messageId: e.messageId, eventId: e.eventId }] : [],
      ),
      denied: all.flatMap((e) =>
        e.state === 'denied' ? [{ id: e.id, messageId: e.messageId, reason: e.reason ?? '' }] : [],
      ),
      timedOut: this.timedOut,
    };
  }

  private show(deadline?: Date): void {
    this.state.showProposals(
      [...this.entries.values()].map(({ done: _done, ...view }) => view),
      deadline,
    );
  }

  /** Not awaited: a slow or failing receiver must not hold up the wait or the decisions. */
  private async notify(proposals: Proposal[], deadline: Date): Promise<void> {
    try {
      await notifyApproval({ identifier: this.options.identifier, proposals, deadline: deadline.toISOString() });
    } catch (err) {
      log.warn('approval notice not delivered', { error: (err as Error).message });
    }
  }
}

const proposalOf = ({ id, messageId, title, start, end, description }: Proposal): Proposal => ({
  id,
  messageId,
  title,
  start,
  end,
  description,
});

/** A refusal the caller sees as the Update's failure; `InvalidRequest` tells clients it was their input. */
const refused = (message: string) => ApplicationFailure.create({ type: ErrorType.InvalidRequest, message });

const boundedText = (value: unknown, max: number) => typeof value === 'string' && value.length <= max;
