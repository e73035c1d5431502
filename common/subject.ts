/**
 * Subjects are written by whoever sent the mail: before one reaches the agent's task, an event title
 * or an operator's screen it becomes one plain line of bounded length. Control characters (newlines
 * included) could otherwise forge extra lines ("…dinner\nBcc: attacker@evil.example") and a long
 * subject would book a title no calendar shows.
 */
export const MAX_SUBJECT_CHARS = 120;

export function cleanSubject(raw: string, max: number = MAX_SUBJECT_CHARS): string {
  // \p{Cc}: C0/C1 controls incl. CR, LF, TAB; \p{Zl}\p{Zp}: Unicode line/paragraph separators.
  const line = raw
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...line];
  return chars.length <= max
    ? line
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

/** The event title the agent is asked to book for a message (and the only one the tool policy allows). */
export const eventTitle = (subject: string): string => `Action Required: ${cleanSubject(subject)}`;
