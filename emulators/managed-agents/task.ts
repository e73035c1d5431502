import type { Email } from './gmail.js';

/**
 * The emulated model's reading of a sweep task. The product's worker writes it (activities/sweep-task.ts
 * in inbox-agent); the emulator imports nothing from the product, so the format is restated here:
 *
 *     <emails>
 *     message_id: <gmail id> | subject: <subject as a JSON string>
 *     </emails>
 *     mode: judge | every-email
 *     query: <gmail query that returns the listed e-mails>
 *
 * Events carry a last description line `inbox-agent-message-id: <gmail id>`, and the reply ends with
 * a ```json block `{"events":[{"message_id","event_id"}],"no_action":[ids]}`.
 */
export interface SweepTask {
  messageIds: string[];
  /** The subjects as the task lists them (cleaned by the worker): titles are built from these. */
  subjects: Map<string, string>;
  /** `every-email`: the guide's behaviour, an event for every e-mail. */
  mode: 'judge' | 'every-email';
  /** How to read them (the worker's query); absent in older tasks: `is:unread`. */
  query: string;
}

export const MESSAGE_MARKER = 'inbox-agent-message-id:';
export const markerFor = (messageId: string): string => `${MESSAGE_MARKER} ${messageId}`;

/** Undefined for a free-form prompt: the agent then follows the guide's fixed script. */
export function parseSweepTask(prompt: string): SweepTask | undefined {
  const block = /^<emails>$([\s\S]*?)^<\/emails>$/m.exec(prompt);
  if (!block) return undefined;
  const lines = [...block[1]!.matchAll(/^message_id: (\S+)(?: \| subject: (.*))?$/gm)];
  const subjects = new Map<string, string>();
  for (const [, id, subject] of lines) {
    try {
      const parsed: unknown = subject === undefined ? undefined : JSON.parse(subject);
      if (typeof parsed === 'string') subjects.set(id!, parsed);
    } catch {
      // Not a JSON string: the agent falls back to the subject it reads in the mail.
    }
  }
  return {
    messageIds: lines.map((m) => m[1]!),
    subjects,
    mode: /^mode: every-email$/m.test(prompt) ? 'every-email' : 'judge',
    query: /^query: (.+)$/m.exec(prompt)?.[1]?.trim() ?? 'is:unread',
  };
}

/**
 * The emulated model's one judgement, a documented rule so tests can tell both paths apart: mail
 * from a no-reply address, or marked as bulk (`List-Unsubscribe`, `Precedence: bulk|list|junk`),
 * needs no action.
 */
export function needsNoAction(email: Email): boolean {
  if (/no-?reply|do-?not-?reply/i.test(email.from)) return true;
  if (email.headers['list-unsubscribe']) return true;
  return /^(bulk|list|junk)$/i.test(email.headers.precedence ?? '');
}
