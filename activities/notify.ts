import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { ErrorType } from '../workflows/contract.js';
import type { ReauthorizationNoticeInput } from './types.js';
import type { ConnectionsReporter } from './check-connections.js';
import { retryAfterMs } from './apis/retry-after.js';
import { nonRetryable } from './failures.js';

/** One reminder for one connection: what the app needs to tell its user where to consent. */
export interface ReauthorizationNotice {
  /**
   * Stable across retries of one reminder and unique to it (sweep run, activity, connection), so a
   * receiver can drop duplicates without dropping a later sweep's reminders.
   */
  id: string;
  event: 'reauthorization.needed' | 'reauthorization.reminder' | 'reauthorization.gave_up';
  identifier: string;
  connection: string;
  /** Made just now; it lives about a minute, so send it on to the user at once. */
  link?: string;
  linkExpiresAt?: string;
  /** When the sweep stops waiting (for `gave_up`: when it stopped). */
  deadline: string;
  workflowId: string;
  sentAt: string;
}

/**
 * One proposed event waiting for the user (approval mode `ask`): what the app shows its user, with
 * links that approve or deny it (when the consent callback is deployed; otherwise the CLI or the
 * typed client decide). Title and summary come from the mail: they travel only to the app.
 */
export interface ApprovalNotice {
  /** Stable across retries, so a receiver can drop duplicates. */
  id: string;
  event: 'approval.needed';
  identifier: string;
  proposal: { id: string; title: string; start: string; end: string; description: string };
  approveLink?: string;
  denyLink?: string;
  /** When the proposal is denied unless decided. */
  deadline: string;
  workflowId: string;
  sentAt: string;
}

export type Notice = ReauthorizationNotice | ApprovalNotice;

/** Where reminders go. Implementations throw to have Temporal retry the reminder. */
export interface Notifier {
  notify(notice: Notice): Promise<void>;
}

/**
 * The default: one log line per notice on the worker. Links are not in it: logs are read by
 * operators and kept, and a consent link lets whoever holds it start a consent for the user, an
 * approval link approve the user's event; `inbox-agent links <identifier>` makes a fresh consent
 * link, `proposals`/`approve` decide. Nor the mail's words (an approval's title), which logs must not hold.
 */
export const logNotifier: Notifier = {
  async notify(n) {
    const line =
      n.event === 'approval.needed'
        ? `${n.event} for ${n.identifier}: proposal ${n.proposal.id} (${n.approveLink ? 'links made' : 'no links: decide with the CLI'}, deadline ${n.deadline})`
        : `${n.event} for ${n.identifier}: ${n.connection} needs consent (${n.link ? 'link made' : 'no link'}, deadline ${n.deadline})`;
    if (Context.current) {
      try {
        const connection = n.event === 'approval.needed' ? {} : { connection: n.connection };
        Context.current().log.info(line, { event: n.event, identifier: n.identifier, ...connection });
        return;
      } catch {
        // not in an activity
      }
    }
    console.log(line);
  },
};

export const SIGNATURE_HEADER = 'x-inbox-agent-signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. Hand-rolled on node:crypto
 * because the receiver must be able to check it in any language in three lines (README); the
 * timestamp inside the signed text lets it refuse replays.
 */
export function signWebhook(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/**
 * The longest a receiver's `Retry-After` delays the next attempt. Longer asks are cut to it, so the
 * notification's overall bound (workflows/activity-options.ts) decides, never the receiver.
 */
export const MAX_WEBHOOK_RETRY_AFTER_MS = 60_000;

/** POSTs each notice as JSON, signed. 5xx, 408, 429 and network errors are retried by Temporal; other 4xx are not. */
export function webhookNotifier(url: string, secret: string, timeoutMs = 10_000): Notifier {
  return {
    async notify(notice) {
      const body = JSON.stringify(notice);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'inbox-agent-webhook/1',
          [SIGNATURE_HEADER]: signWebhook(secret, body),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      if (response.ok) return;
      const message = `reminder webhook answered ${response.status}`;
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        const retryAfter = retryAfterMs(response.headers);
        throw ApplicationFailure.create({
          type: `Http${response.status}`,
          message,
          nextRetryDelay: retryAfter === undefined ? undefined : Math.min(retryAfter, MAX_WEBHOOK_RETRY_AFTER_MS),
        });
      }
      throw nonRetryable(ErrorType.InvalidRequest, message);
    },
  };
}

/**
 * Tells the user (through the deployment's notifier) which connections still need consent, each
 * with a link made now. Connections that became active meanwhile get no reminder.
 */
export function createNotifyReauthorization(report: ConnectionsReporter, notifier: Notifier) {
  return async function notifyReauthorization(input: ReauthorizationNoticeInput): Promise<number> {
    const info = Context.current().info;
    // The check's own links on a first attempt; a retry (receiver was down) makes fresh ones.
    const { connections } =
      input.report && info.attempt === 1
        ? input.report
        : await report(input.identifier, input.event === 'gave_up' ? undefined : input.workflowId);
    const inactive = connections.filter((c) => c.status !== 'ACTIVE');
    for (const c of inactive) {
      await notifier.notify({
        // The run id too: activity ids restart with every run, so workflow id + activity id repeat
        // across a user's sweeps (one canonical workflow id per user).
        id: `${input.workflowId}/${info.workflowExecution?.runId}/${info.activityId}/${c.connection}`,
        event: `reauthorization.${input.event}`,
        identifier: input.identifier,
        connection: c.connection,
        ...(c.authLink ? { link: c.authLink } : {}),
        ...(c.linkExpiresAt ? { linkExpiresAt: c.linkExpiresAt } : {}),
        deadline: input.deadline,
        workflowId: input.workflowId,
        sentAt: new Date().toISOString(),
      });
    }
    return inactive.length;
  };
}
