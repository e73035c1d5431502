/**
 * The worker's own rules for mail that needs no reminder, read from a message's headers before any
 * session: such a message is recorded `no_action` by the worker and never handed to the agent.
 *
 * Why the worker and not the agent (issue 22, part 2): one email's content must not decide another
 * email's fate, so the agent's "no action" counts only from the turn about that very message
 * (run-agent-session.ts, `ownJudgements`). Bulk mail is the common case of "no action", and its
 * marks are headers the sender's mail system sets, which the worker can read as well as a model:
 * judging it here costs no turn (and, when only bulk mail is new, no session at all), and no
 * email's text can talk the agent into or out of it. Each rule reads only the message it decides:
 * a sender can make its own mail look bulk (and so get no reminder), never another's.
 *
 * Not applied when the user wants an event for every email (`eventForEveryEmail`): that mode books
 * newsletters too.
 */

/** `Precedence` values that mark mail sent to many (RFC 2076; Gmail and list servers honour them). */
const BULK_PRECEDENCE = /^\s*(bulk|list|junk)\s*$/i;
/**
 * A sender that takes no replies: `noreply@`, `no-reply@`, `do-not-reply@`, `notifications-noreply@`…
 * as a whole word of the local part, so a person's `bruno.reply@` is not one.
 */
const NO_REPLY_LOCAL_PART = /(^|[-_.+])(no[-_.]?reply|do[-_.]?not[-_.]?reply)([-_.+]|$)/i;

/** The rule that makes this message bulk (a fixed phrase, never header text), or undefined. */
export function bulkRule(headers: readonly { name: string; value: string }[]): string | undefined {
  const header = (name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value;
  if (header('list-unsubscribe')?.trim()) return 'List-Unsubscribe header';
  if (BULK_PRECEDENCE.test(header('precedence') ?? '')) return 'Precedence: bulk, list or junk';
  if (NO_REPLY_LOCAL_PART.test(senderLocalPart(header('from') ?? ''))) return 'no-reply sender';
  return undefined;
}

/** The local part of `Name <local@domain>` or `local@domain`: the display name is the sender's prose. */
function senderLocalPart(from: string): string {
  const address = /<([^>]*)>/.exec(from)?.[1] ?? from;
  return address.trim().split('@')[0] ?? '';
}
