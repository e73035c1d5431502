import { ScheduleNotFoundError, type ScheduleClient } from '@temporalio/client';
import { scheduleId } from '../workflows/contract.js';

/** Notes this project writes start with it; a schedule an operator paused is never unpaused by us. */
export const CONSENT_NOTE_PREFIX = 'inbox-agent consent: ';

/** Whether a schedule's note says we paused it for consent (the reconciler unpauses only those). */
export const isOurConsentPause = (note: string | undefined): boolean => note?.startsWith(CONSENT_NOTE_PREFIX) ?? false;

/**
 * Pauses the user's schedule while consent is missing, so no further sweeps pile up behind the
 * waiting one, with a note operators read in `temporal schedule describe` and the Web UI. A schedule
 * already paused by someone else keeps its state and note. False when there is nothing to pause.
 */
export async function pauseForConsent(schedules: ScheduleClient, identifier: string, note: string): Promise<boolean> {
  const handle = schedules.getHandle(scheduleId(identifier));
  const state = await describe(schedules, identifier);
  if (!state || (state.paused && !isOurConsentPause(state.note))) return false;
  await handle.pause(CONSENT_NOTE_PREFIX + note);
  return true;
}

/** Unpauses a schedule that we paused for consent; leaves any other schedule alone. */
export async function resumeAfterConsent(
  schedules: ScheduleClient,
  identifier: string,
  note: string,
): Promise<boolean> {
  const state = await describe(schedules, identifier);
  if (!state?.paused || !isOurConsentPause(state.note)) return false;
  await schedules.getHandle(scheduleId(identifier)).unpause(CONSENT_NOTE_PREFIX + note);
  return true;
}

async function describe(schedules: ScheduleClient, identifier: string) {
  try {
    return (await schedules.getHandle(scheduleId(identifier)).describe()).state;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** The activity: a worker-side Temporal client acts on the schedule the sweep was started by. */
/** Input of the `consentSchedule` activity: pause the user's schedule, or unpause it if we paused it. */
export interface ConsentScheduleInput {
  action: 'pause' | 'unpause';
  identifier: string;
  note: string;
}

export function createConsentSchedule(schedules: ScheduleClient | undefined) {
  return async function consentSchedule(input: ConsentScheduleInput): Promise<boolean> {
    if (!schedules) return false;
    return input.action === 'pause'
      ? pauseForConsent(schedules, input.identifier, input.note)
      : resumeAfterConsent(schedules, input.identifier, input.note);
  };
}
