import type { CalendarSpecDescription, ScheduleSpecDescription } from '@temporalio/client';
import { CronExpressionParser } from 'cron-parser';

const CRON_ALIASES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * Why a `--cron` line is not one we send to Temporal, or undefined when it is. Checked with
 * cron-parser, so the operator reads which field is wrong instead of the server's "CronString does
 * not have 5-7 fields". Only the five-field form (and the @daily-style aliases both read alike) is
 * accepted: Temporal reads six fields as "…, year" and cron-parser as "second, …", so a six- or
 * seven-field line could pass one check and mean something else to the other.
 */
export function cronProblem(expression: string): string | undefined {
  const line = expression.trim();
  if (CRON_ALIASES.includes(line.toLowerCase())) return undefined;
  const fields = line.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return `expected 5 fields (minute hour day-of-month month day-of-week, e.g. "0 9 * * MON-FRI") or one of ${CRON_ALIASES.join(', ')}; got ${fields.length}`;
  }
  try {
    CronExpressionParser.parse(line);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Why a `--timezone` is not an IANA time zone this runtime knows (as the server's tz database), or undefined. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return undefined;
  } catch {
    return 'not an IANA time zone such as Europe/Berlin or America/New_York';
  }
}

/** A user's schedule as `schedule list` and `schedule describe` show it: plain JSON, no SDK classes. */
export interface ScheduleSummaryView {
  scheduleId: string;
  identifier?: string;
  /** The spec in words: "every 1h (offset 12m)" or a cron line such as "0 9 * * MON-FRI". */
  spec: string;
  paused: boolean;
  note?: string;
  nextRuns: string[];
}

export interface ScheduleRunView {
  scheduledAt: string;
  takenAt: string;
  workflowId: string;
  runId: string;
  /** The sweep's execution status (Running, Completed, Failed, …) when visibility still has it. */
  status?: string;
  /** Its InboxSweepOutcome, once it ended. */
  outcome?: string;
}

export interface ScheduleView extends ScheduleSummaryView {
  timezone?: string;
  jitter?: string;
  catchupWindow: string;
  overlap: string;
  createdAt: string;
  updatedAt?: string;
  actionsTaken: number;
  skippedOverlap: number;
  missedCatchupWindow: number;
  /** The newest runs first. */
  recentRuns: ScheduleRunView[];
  running: string[];
}

/** The sweeps a deleted schedule had started that go on running (see `unschedule`). */
export interface UnscheduleResult {
  deleted: boolean;
  stillRunning: Array<{ workflowId: string; phase?: string; reauthDeadline?: string }>;
}

/**
 * "1d 2h 3m 4s": exact, unlike the `ms` package, which rounds to one unit (an offset of 36m 15s
 * would read "36m").
 */
export function duration(millis: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  let rest = Math.round(millis);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (rest >= size) parts.push(`${Math.floor(rest / size)}${unit}`);
    rest %= size;
  }
  if (rest) parts.push(`${rest}ms`);
  return parts.join(' ') || '0s';
}

/** Renders the server's description of a spec for people: intervals as "every …", calendars as cron lines. */
export function describeSpec(spec: ScheduleSpecDescription | undefined): string {
  const parts = [
    ...(spec?.intervals ?? []).map((i) => {
      const every = `every ${duration(Number(i.every))}`;
      return i.offset ? `${every} (offset ${duration(Number(i.offset))})` : every;
    }),
    ...(spec?.calendars ?? []).map(cronLine),
  ];
  return parts.join('; ') || 'no spec';
}

// The server stores cron expressions as structured calendars and only gives those back; this turns
// one into cron syntax again. No library renders Temporal's structured calendar, hence by hand.
const FULL: Record<string, [string | number, string | number]> = {
  dayOfMonth: [1, 31],
  month: ['JANUARY', 'DECEMBER'],
  dayOfWeek: ['SUNDAY', 'SATURDAY'],
};
function cronField(name: keyof typeof FULL | 'minute' | 'hour', c: CalendarSpecDescription): string {
  const ranges = (c[name as keyof CalendarSpecDescription] ?? []) as Array<{
    start: string | number;
    end?: string | number;
    step?: number;
  }>;
  const short = (v: string | number) => (typeof v === 'string' ? v.slice(0, 3) : String(v));
  if (ranges.length === 0) return '*';
  return ranges
    .map(({ start, end = start, step = 1 }) => {
      const full = FULL[name];
      const span =
        full && start === full[0] && end === full[1]
          ? '*'
          : start === end
            ? short(start)
            : `${short(start)}-${short(end)}`;
      return step > 1 ? `${span}/${step}` : span;
    })
    .join(',');
}
function cronLine(c: CalendarSpecDescription): string {
  return (['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const).map((f) => cronField(f, c)).join(' ');
}
