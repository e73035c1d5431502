/**
 * Timestamps in microseconds, strictly increasing across the process. Event history is resumed with
 * `created_at[gt]=<last seen processed_at>`, so two events must never share a timestamp.
 */
let last = 0;

export function nowMicros(): number {
  const now = Date.now() * 1000;
  last = now > last ? now : last + 1;
  return last;
}

/** RFC 3339 with microseconds, e.g. `2026-05-01T10:00:00.123456Z`. */
export function formatMicros(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, -1)}${String(micros % 1000).padStart(3, '0')}Z`;
}

export function timestamp(): string {
  return formatMicros(nowMicros());
}

/** Parses an RFC 3339 timestamp to microseconds, keeping sub-millisecond digits that `Date.parse` drops. */
export function parseTimestamp(value: string): number | undefined {
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  const seconds = Date.parse(value.replace(/\.\d+/, ''));
  if (Number.isNaN(seconds)) return undefined;
  return seconds * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}
