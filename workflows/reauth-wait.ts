import { condition, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { apiCall, finalNotification, notification } from './activity-options.js';
import type { ConnectionsReport, SweepCarry } from './contract.js';
import type { ReauthorizationNoticeInput } from '../activities/types.js';
import type { SweepState } from './sweep-state.js';

const { notifyReauthorization } = proxyActivities<Activities>({
  ...notification,
  summary: 'Remind the user to re-authorize',
});
const { notifyReauthorization: notifyGaveUp } = proxyActivities<Activities>({
  ...finalNotification,
  summary: 'Tell the user the sweep stopped waiting',
});
const { consentSchedule } = proxyActivities<Activities>({
  ...apiCall,
  summary: "Pause or unpause the user's schedule",
});

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
  /** The overall bound, from the first pause, across every wait of the sweep. */
  private deadline?: number;
  /** The current wait, from the check that found a connection inactive until consent is back. */
  private episode?: { since: string; nextReminder: number };
  private pausedSchedule = false;
  /** Reminders on their way (not awaited by the wait), settled before the run continues as new. */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly state: SweepState,
    private readonly options: ReauthWaitOptions,
    carried?: SweepCarry['reauth'],
  ) {
    if (!carried) return;
    // Held to this run's own bound too: a carry is workflow input, which any starter can shape.
    const latest = Date.now() + options.reauthTimeoutMs;
    if (carried.deadline !== undefined) this.deadline = Math.min(carried.deadline, latest);
    if (carried.episode) this.episode = { ...carried.episode };
    this.pausedSchedule = carried.pausedSchedule;
  }

  /** The wait as it stands, for the run this sweep continues as; reminders still on their way land first. */
  async carry(): Promise<SweepCarry['reauth']> {
    await Promise.allSettled([...this.sending]);
    return {
      ...(this.deadline !== undefined ? { deadline: this.deadline } : {}),
      ...(this.episode ? { episode: { ...this.episode } } : {}),
      pausedSchedule: this.pausedSchedule,
    };
  }

  async wait(blocked: ConnectionsReport, reason: string, signalsBefore: number): Promise<boolean> {
    const { state, options } = this;
    const deadline = (this.deadline ??= Date.now() + options.reauthTimeoutMs);
    const recheckAt = Math.min(Date.now() + options.recheckEveryMs, deadline);
    const starting = this.episode === undefined;
    const episode = (this.episode ??= { since: new Date().toISOString(), nextReminder: 0 });
    state.awaitReauthorization(blocked, reason, new Date(deadline), episode.since, new Date(recheckAt));
    const what = `${blocked.inactive.join(', ')} needs re-authorization since ${episode.since}`;
    if (starting) {
      await this.schedule('pause', what);
      this.remind('needed', blocked);
      episode.nextReminder = Date.now() + options.remindEveryMs;
    }
    for (;;) {
      const now = Date.now();
      if (now >= deadline) break;
      const wakeAt = Math.min(deadline, recheckAt, episode.nextReminder);
      if (await condition(() => state.reauthSignals > signalsBefore, Math.max(wakeAt - now, 1))) return true;
      if (Date.now() >= deadline) break;
      // Before the re-check's return: a reminder due at the same wake (or overdue, the worker was
      // busy or down) goes out now, instead of losing every race to a re-check cadence.
      if (Date.now() >= episode.nextReminder) {
        this.remind('reminder');
        episode.nextReminder += options.remindEveryMs;
      }
      if (Date.now() >= recheckAt) return true;
    }
    const gaveUp = new Date().toISOString();
    await Promise.all([
      this.notify('gave_up'),
      this.schedule(
        'pause',
        `${what}; the sweep stopped waiting at ${gaveUp}. The user's next consent, by any route, unpauses this schedule.`,
      ),
    ]);
    return false;
  }

  /** Consent is back: the schedule paused for it runs again; a later wait starts a new episode. */
  async resolved(): Promise<void> {
    if (!this.episode) return;
    this.episode = undefined;
    if (this.pausedSchedule) await this.schedule('unpause', `re-authorized at ${new Date().toISOString()}`);
    this.pausedSchedule = false;
  }

  private remind(event: ReauthorizationNoticeInput['event'], report?: ConnectionsReport): void {
    // Not awaited: a slow or failing receiver must not hold up the wait or the signal.
    const sent = this.notify(event, report).finally(() => this.sending.delete(sent));
    this.sending.add(sent);
  }

  private async notify(event: ReauthorizationNoticeInput['event'], report?: ConnectionsReport): Promise<void> {
    try {
      await (event === 'gave_up' ? notifyGaveUp : notifyReauthorization)({
        event,
        ...(report ? { report } : {}),
        identifier: this.options.identifier,
        workflowId: workflowInfo().workflowId,
        deadline: new Date(this.deadline!).toISOString(),
      });
    } catch (err) {
      log.warn('reminder not delivered', { event, error: (err as Error).message });
    }
  }

  /** The user's schedule, if there is one (the activity checks); a failure here never fails the sweep. */
  private async schedule(action: 'pause' | 'unpause', note: string): Promise<void> {
    try {
      const changed = await consentSchedule({ action, identifier: this.options.identifier, note });
      if (action === 'pause') this.pausedSchedule ||= changed;
    } catch (err) {
      log.warn(`could not ${action} the schedule`, { error: (err as Error).message });
    }
  }
}
