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
  /** The task's own rule for mail that needs no action, as read by `readNoActionRule`. */
  needsNoAction: (email: Email) => boolean;
  /**
   * The task asks to look for an event carrying the message's marker before creating one (older
   * workers' tasks did: "Before creating, list calendar events ..."); the model does what it is told.
   */
  lookUpFirst: boolean;
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
    needsNoAction: readNoActionRule(prompt),
    lookUpFirst: /\bbefore creating, list calendar events\b/i.test(prompt),
  };
}

/**
 * The emulated model's one judgement, taken from the task it is given rather than known in
 * advance, so the worker's wording decides what the agent does: the sentence that ends "… need
 * none", e.g. `Newsletters, bulk mail (a List-Unsubscribe or Precedence: bulk header) and automated
 * no-reply senders need none`. Assumption (a model judges content; no public source says how): the
 * emulator applies only what the sentence names, item by item: a header in parentheses (`Name: value`
 * must have that value, a bare `Hyphenated-Name` must be present), "no-reply" matches the sender's
 * address, and any other item matches mail whose subject holds its first word (`Newsletters`: a
 * subject with "newsletter"). No such sentence: no mail needs no action.
 */
export function readNoActionRule(prompt: string): (email: Email) => boolean {
  const sentence = /(?:^|\.\s+)([^.\n]+?)\s+needs? none\b/m.exec(prompt)?.[1];
  if (!sentence) return () => false;
  const tests: Array<(email: Email) => boolean> = [];
  for (const item of sentence.split(/,\s*|\s+and\s+/)) {
    const explained = /\(([^)]*)\)/.exec(item)?.[1];
    if (explained) {
      for (const [, name, value] of explained.matchAll(/\b([A-Z][\w-]*): (\w+)/g)) {
        tests.push((e) => (e.headers[name!.toLowerCase()] ?? '').trim().toLowerCase() === value!.toLowerCase());
      }
      for (const [, name] of explained
        .replace(/\b[A-Z][\w-]*: \w+/g, '')
        .matchAll(/\b([A-Z][a-z]+(?:-[A-Z][a-z]+)+)\b/g)) {
        tests.push((e) => Boolean(e.headers[name!.toLowerCase()]?.trim()));
      }
    } else if (/no-?reply/i.test(item)) {
      tests.push((e) => /no-?reply|do-?not-?reply/i.test(/<([^>]*)>/.exec(e.from)?.[1] ?? e.from));
    } else {
      const kind = /[a-z]+/i.exec(item)?.[0]?.toLowerCase().replace(/s$/, '');
      if (kind) tests.push((e) => e.subject.toLowerCase().includes(kind));
    }
  }
  return (email) => tests.some((t) => t(email));
}
