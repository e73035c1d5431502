import { Context, log } from '@temporalio/activity';
import { DEFAULT_MAX_EMAILS, type AllowedEvent, type HandledReport } from '../workflows/contract.js';
import type { InboxBatch, SealedSecret } from './types.js';
import type { ActivityDeps } from './deps.js';
import { Mailbox } from './mailbox.js';
import { endSessionsLeftBehind } from './run-agent-session.js';
import { activityBinding } from './seal.js';
import type { Provisioning } from './provisioning.js';
import { sealBatch, type TaskEmail } from './sweep-task.js';
import { MAX_ATTEMPTS, type HandledMessage } from './user-state.js';

export interface FindUnhandledInput {
  identifier: string;
  token: SealedSecret;
  maxEmails?: number;
  /** The user wants an event for every email: then the worker's bulk-mail rules do not apply. */
  eventForEveryEmail?: boolean;
}

export interface ConfirmHandledInput {
  identifier: string;
  token: SealedSecret;
  messageIds: string[];
  /** Ids the agent judged to need no action, each in its own turn; ignored when every e-mail must get an event. */
  noAction: string[];
  /** The creations the tool policy allowed in the session (`AgentSessionSummary.allowedEvents`). */
  allowedEvents?: AllowedEvent[];
  eventForEveryEmail: boolean;
  /**
   * The session that tried these messages, and what went wrong with it in the worker's words (never
   * mail content); absent when the failure was not the messages' (the MCP server unreachable).
   */
  attempt?: { sessionId: string; reason: string };
}

/**
 * The worker decides what is new: unread mail (read through the Virtual MCP server with the token
 * just minted) minus the shared ledger. Afterwards it records only what it can confirm: an event
 * found on the calendar by the message id it carries, or the agent's no-action judgement.
 */
export function createInboxLedger(deps: ActivityDeps, provisioning: Provisioning) {
  const { sealer, state } = deps;
  const runId = () => Context.current().info.workflowExecution?.runId;
  const openMailbox = async <T>(identifier: string, token: SealedSecret, fn: (mailbox: Mailbox) => Promise<T>) => {
    const { mcpServerUrl } = await provisioning.resolve();
    return Mailbox.open(
      mcpServerUrl,
      sealer.open(token, activityBinding(identifier)),
      provisioning.catalog,
      async (mailbox, tools) => {
        await provisioning.adoptToolNames(tools);
        return fn(mailbox);
      },
    );
  };
  const eventRecord = (messageId: string, eventId: string): HandledMessage => ({
    messageId,
    disposition: 'event',
    eventId,
    handledAt: new Date().toISOString(),
    runId: runId(),
  });

  async function findUnhandled(input: FindUnhandledInput): Promise<InboxBatch> {
    const cap = input.maxEmails ?? DEFAULT_MAX_EMAILS;
    // No session outlives its sweep: one a terminated run left working is ended before the calendar
    // is looked up (it could still be booking), so beside the inbox read, which it cannot change.
    const leftovers = endSessionsLeftBehind(deps, provisioning, input.identifier);
    // Awaited below; this only keeps a read that fails first from leaving its failure unhandled.
    leftovers.catch(() => undefined);
    return openMailbox(input.identifier, input.token, async (mailbox) => {
      const [, { scan, records, unhandled }] = await Promise.all([
        leftovers,
        unreadAgainstLedger(mailbox, input.identifier),
      ]);
      const unread = scan.messages;
      if (scan.capped) {
        log.warn('unread scan stopped at its bound; the oldest unread mail waits until newer mail is read', {
          scanned: unread.length,
        });
      }
      // The worker's own bulk-mail rules (bulk-mail.ts): recorded no_action from the message's own
      // headers, before any session, so no turn (and no calendar lookup) is spent on them.
      const bulk = input.eventForEveryEmail === true ? [] : unhandled.filter((m) => m.bulk);
      if (bulk.length > 0) {
        await state.recordHandled(
          input.identifier,
          bulk.map((m) => ({
            messageId: m.id,
            disposition: 'no_action' as const,
            reason: `the worker's bulk-mail rule: ${m.bulk}`,
            handledAt: new Date().toISOString(),
            runId: runId(),
          })),
        );
      }
      const candidates = unhandled.filter((m) => !bulk.includes(m));
      // The calendar backs up the ledger: an event that carries the message id means it was handled
      // (a crash between the session and the record, or a lost ledger). Only a message once handed
      // to an agent can have one, so only those are looked up, unless the store does not know the
      // user (no vault remembered: a new user, or a store that was lost), when every one is.
      const knownUser = (await state.getVault(input.identifier)) !== undefined;
      const handedOver = knownUser
        ? await state.handedOverAmong(
            input.identifier,
            candidates.map((m) => m.id),
          )
        : undefined;
      const batch: TaskEmail[] = [];
      let recovered = 0;
      let checked = 0;
      for (const message of candidates) {
        if (batch.length === cap) break;
        checked += 1;
        const eventId = !handedOver || handedOver.has(message.id) ? await mailbox.eventFor(message.id) : undefined;
        if (eventId) {
          await state.recordHandled(input.identifier, [eventRecord(message.id, eventId)]);
          recovered += 1;
        } else {
          batch.push({ id: message.id, subject: message.subject, receivedAt: message.receivedAt });
        }
      }
      // Before the session: a crash after it leaves them marked, so the next read looks them up.
      if (batch.length > 0) {
        await state.markHandedOver(
          input.identifier,
          batch.map((m) => m.id),
        );
      }
      return {
        messageIds: batch.map((m) => m.id),
        ...(batch.length > 0 ? { batch: sealBatch(sealer, batch, input.identifier) } : {}),
        remaining: candidates.length - checked,
        unread: unread.length,
        ...(scan.capped ? { unreadCapped: true } : {}),
        recovered,
        ...(bulk.length > 0 ? { bulkNoAction: bulk.map((m) => m.id) } : {}),
        gaveUp: records.filter((h) => h.disposition === 'gave_up').length,
        // Read here, with the ledger, so the mode costs the sweep no call of its own.
        ...(batch.length > 0 ? { approval: await state.getApprovalMode(input.identifier) } : {}),
      };
    });
  }

  /**
   * Whether any unread message is missing from the ledger: the question a scheduled ticket asks before
   * it starts the user's sweep (see `peekInbox`). Read-only on purpose (no leftover sessions ended, no
   * mark, no bulk record): it may run beside the user's own sweep. Bulk mail and mail handed over but
   * never confirmed count as unhandled, so the sweep, not this look, decides what they become.
   */
  async function anyUnhandled(identifier: string, token: SealedSecret): Promise<boolean> {
    return openMailbox(
      identifier,
      token,
      async (mailbox) => (await unreadAgainstLedger(mailbox, identifier)).unhandled.length > 0,
    );
  }

  /** The unread mail, its ledger records, and what the ledger does not hold. */
  async function unreadAgainstLedger(mailbox: Mailbox, identifier: string) {
    const scan = await mailbox.unread();
    const records = await state.handledAmong(
      identifier,
      scan.messages.map((m) => m.id),
    );
    // Set-aside (`gave_up`) messages count as handled here: skipped until an operator retries them.
    const handled = new Set(records.map((h) => h.messageId));
    return { scan, records, unhandled: scan.messages.filter((m) => !handled.has(m.id)) };
  }

  async function confirmHandled(input: ConfirmHandledInput): Promise<HandledReport> {
    return openMailbox(input.identifier, input.token, async (mailbox) => {
      const report: HandledReport = { events: [], noAction: [], unhandled: [], gaveUp: [] };
      const records: HandledMessage[] = [];
      const recorded = new Set<string>();
      for (const messageId of input.messageIds) {
        const eventId = await verifiedEvent(mailbox, messageId, input.allowedEvents ?? [], recorded);
        if (eventId) {
          recorded.add(eventId);
          report.events.push({ messageId, eventId });
          records.push(eventRecord(messageId, eventId));
        } else if (!input.eventForEveryEmail && input.noAction.includes(messageId)) {
          report.noAction.push(messageId);
          records.push({ messageId, disposition: 'no_action', handledAt: new Date().toISOString(), runId: runId() });
        } else {
          report.unhandled.push(messageId);
        }
      }
      if (input.attempt && report.unhandled.length > 0) {
        records.push(...(await setAside(input.identifier, report, input.attempt)));
      }
      await state.recordHandled(input.identifier, records);
      return report;
    });
  }

  /**
   * Poison mail: counts this session as one more attempt at each message it left unhandled, and sets
   * aside (`gave_up`, with the reason) those that reached MAX_ATTEMPTS, so one email that no session
   * can handle stops costing a session per sweep and stops holding back newer mail. They move from
   * `unhandled` to `gaveUp` in the report.
   */
  async function setAside(identifier: string, report: HandledReport, attempt: { sessionId: string; reason: string }) {
    const at = new Date().toISOString();
    const counts = await state.countAttempts(identifier, report.unhandled, {
      id: attempt.sessionId,
      reason: attempt.reason,
      at,
    });
    const exhausted = new Set(report.unhandled.filter((id) => (counts.get(id) ?? 0) >= MAX_ATTEMPTS));
    report.unhandled = report.unhandled.filter((id) => !exhausted.has(id));
    report.gaveUp.push(...exhausted);
    return [...exhausted].map((messageId): HandledMessage => ({
      messageId,
      disposition: 'gave_up',
      reason: `${MAX_ATTEMPTS} sessions did not handle it; the last: ${attempt.reason}`,
      handledAt: at,
      runId: runId(),
    }));
  }

  /** An operator's `retry`: a set-aside message is unhandled again, its attempts counted afresh. */
  async function retryMessage(identifier: string, messageId: string): Promise<boolean> {
    return state.retryMessage(identifier, messageId);
  }

  return { findUnhandled, anyUnhandled, confirmHandled, retryMessage };
}

/**
 * What is recorded is what the worker verified: an event counts for a message only if the tool
 * policy allowed its creation for that message in this session (the gate knew which message the
 * turn was about) and the calendar has it, created by the user, with the message's marker as the
 * description's own last line; and an event id counts for one message at most. The agent's report
 * of events is not read at all. An event made outside the gate (an earlier sweep that crashed before
 * recording) is left to the next sweep's read, which recovers it from the calendar.
 */
async function verifiedEvent(
  mailbox: Mailbox,
  messageId: string,
  allowedEvents: readonly AllowedEvent[],
  recorded: ReadonlySet<string>,
): Promise<string | undefined> {
  const allowed = allowedEvents.filter((a) => a.messageId === messageId);
  if (allowed.length === 0) return undefined;
  const onCalendar = (await mailbox.eventsFor(messageId)).filter((id) => !recorded.has(id));
  return onCalendar.find((id) => allowed.some((a) => a.eventId === undefined || a.eventId === id));
}
