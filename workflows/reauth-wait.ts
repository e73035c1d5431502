import { condition, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { apiCall, notification } from './activity-options.js';
import type { ConnectionsReport, ReauthorizationNoticeInput } from './contract.js';
import type { SweepState } from './sweep-state.js';

const { notifyReauthorization } = proxyActivities<Activities>({
  ...notification,
  summary: 'Remind the user to re-authorize',
});
const { consentSchedule } = proxyActivities<Activities>({
  ...apiCall,
  summary: "Pause or unpause the user's schedule",
});

/** Set by Temporal on every run a schedule starts: the sweep knows its schedule whoever created it. */
const scheduledById = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

export interface ReauthWaitOptions {
  identifier: string;
  reauthTimeoutMs: number;
  recheckEveryMs: number;
  remindEveryMs: number;
}

/**
 * The re-authorization wait of one sweep, across every re-check that still finds a connection
 * inactive. `wait` returns when a re-check is due: at once on the `reauthorized` signal, otherwise at
 * the re-check cadence; it returns false at the overall deadline. Meanwhile it reminds the user at
 * once and then at the reminder cadence, each time with fresh links, and keeps a scheduled sweep's
 * schedule paused while consent is missing.
 */
export class ReauthWait {
  private deadline?: number;
  private since?: string;
  private nextReminder = 0;
  private pausedSchedule = false;

  constructor(
    private readonly state: SweepState,
    private readonly options: ReauthWaitOptions,
  ) {}

  /** Whether this sweep had to wait at all. */
  get waited(): boolean {
    return this.deadline !== undefined;
  }

  async wait(blocked: ConnectionsReport, reason: string, signalsBefore: number): Promise<boolean> {
    const { state, options } = this;
    const first = this.deadline === undefined;
    this.deadline ??= Date.now() + options.reauthTimeoutMs;
    this.since ??= new Date().toISOString();
    const deadline = this.deadline;
    const recheckAt = Math.min(Date.now() + options.recheckEveryMs, deadline);
    state.awaitReauthorization(blocked, reason, new Date(deadline), this.since, new Date(recheckAt));
    if (first) {
      await this.schedule('pause', `${blocked.inactive.join(', ')} needs re-authorization since ${this.since}`);
      this.remind('needed');
      this.nextReminder = Date.now() + options.remindEveryMs;
    }
    for (;;) {
      const now = Date.now();
      if (now >= deadline) break;
      const wakeAt = Math.min(deadline, recheckAt, this.nextReminder);
      if (await condition(() => state.reauthSignals > signalsBefore, Math.max(wakeAt - now, 1))) return true;
      if (Date.now() >= recheckAt && Date.now() < deadline) return true;
      if (Date.now() >= this.nextReminder && Date.now() < deadline) {
        this.remind('reminder');
        this.nextReminder += options.remindEveryMs;
      }
    }
    const gaveUp = new Date().toISOString();
    await Promise.all([
      this.notify('gave_up'),
      this.schedule(
        'pause',
        `${blocked.inactive.join(', ')} needs re-authorization since ${this.since}; the sweep stopped waiting at ${gaveUp}. The next re-authorization through the consent callback unpauses this schedule.`,
      ),
    ]);
    return false;
  }

  /** Consent is back: the schedule paused for it runs again. */
  async resolved(): Promise<void> {
    if (this.pausedSchedule) await this.schedule('unpause', `re-authorized at ${new Date().toISOString()}`);
  }

  private remind(event: ReauthorizationNoticeInput['event']): void {
    // Not awaited: a slow or failing receiver must not hold up the wait or the signal.
    void this.notify(event);
  }

  private async notify(event: ReauthorizationNoticeInput['event']): Promise<void> {
    try {
      await notifyReauthorization({
        event,
        identifier: this.options.identifier,
        workflowId: workflowInfo().workflowId,
        deadline: new Date(this.deadline!).toISOString(),
      });
    } catch (err) {
      log.warn('reminder not delivered', { event, error: (err as Error).message });
    }
  }

  /** Only sweeps a schedule started touch a schedule; a failure here never fails the sweep. */
  private async schedule(action: 'pause' | 'unpause', note: string): Promise<void> {
    if (!workflowInfo().typedSearchAttributes.get(scheduledById)) return;
    try {
      const changed = await consentSchedule({ action, identifier: this.options.identifier, note });
      if (action === 'pause') this.pausedSchedule ||= changed;
    } catch (err) {
      log.warn(`could not ${action} the schedule`, { error: (err as Error).message });
    }
  }
}
