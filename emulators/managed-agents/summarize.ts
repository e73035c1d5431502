import type { Email } from './gmail.js';

/**
 * The emulated model's writing: deterministic, and built only from the email itself, so tests can
 * check that the calendar event really carries what the email said.
 */

const MAX_SENTENCE = 240;

/** `"Ada Lovelace" <ada@example.com>` → `Ada Lovelace`; a bare address stays as it is. */
export function senderName(from: string): string {
  const named = /^\s*"?([^"<]+?)"?\s*<[^>]+>\s*$/.exec(from);
  return named?.[1] ?? from.replace(/[<>]/g, '').trim();
}

function sentences(text: string, count: number): string[] {
  const flat = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('>'))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const found = flat.match(/[^.!?]+(?:[.!?]+|$)/g) ?? [];
  return found
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, count)
    .map((s) => (s.length > MAX_SENTENCE ? `${s.slice(0, MAX_SENTENCE - 1).trimEnd()}…` : s))
    .map((s) => (/[.!?…]$/.test(s) ? s : `${s}.`));
}

/** Two or three sentences: who wrote about what, then the first two sentences of the body. */
export function summarizeEmail(email: Email): string {
  const lead = `${senderName(email.from)} emailed about "${email.subject}".`;
  return [lead, ...sentences(email.body, 2)].join(' ');
}

/** The start of the next full UTC hour, RFC 3339 without fractional seconds. */
export function nextFullHour(now: Date): string {
  const start = new Date(now);
  start.setUTCMinutes(0, 0, 0);
  start.setUTCHours(start.getUTCHours() + 1);
  return start.toISOString().replace('.000Z', 'Z');
}
