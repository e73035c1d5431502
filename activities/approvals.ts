import { Context } from '@temporalio/activity';
import { APPROVAL_MODES, ErrorType } from '../workflows/contract.js';
import type { ApprovalMode, Proposal, UserSettings, UserSettingsInput } from '../workflows/contract.js';
import type { ApprovalNoticeInput, DecidedProposals, RecordDecisionsInput } from './types.js';
import { proposalId, type ApprovalLinks } from '../consent/approval-links.js';
import type { ActivityDeps } from './deps.js';
import { Mailbox } from './mailbox.js';
import type { Notifier } from './notify.js';
import type { Provisioning } from './provisioning.js';
import { activityBinding } from './seal.js';
import { nonRetryable } from './failures.js';
import type { HandledMessage } from './user-state.js';

/** The user's settings in the shared store: read them, or change the approval mode. */
export function createUserSettings({ state }: ActivityDeps) {
  return async function userSettings(input: UserSettingsInput): Promise<UserSettings> {
    if (input.approval !== undefined && !APPROVAL_MODES.includes(input.approval)) {
      throw nonRetryable(ErrorType.InvalidRequest, `invalid approval mode: expected ${APPROVAL_MODES.join(' or ')}`);
    }
    if (input.approval) await state.setApprovalMode(input.identifier, input.approval);
    const approval: ApprovalMode = await state.getApprovalMode(input.identifier);
    return { identifier: input.identifier, approval };
  };
}

/**
 * Tells the user (through the deployment's notifier: log, signed webhook) about each proposal, with
 * approve and deny links when the consent callback is deployed. The notice id is stable per sweep
 * and proposal, so a retry after a receiver's failure is a duplicate the receiver can drop.
 */
export function createNotifyApproval(notifier: Notifier, links: ApprovalLinks | undefined) {
  return async function notifyApproval(input: ApprovalNoticeInput): Promise<number> {
    const { workflowId, runId } = Context.current().info.workflowExecution ?? { workflowId: '', runId: '' };
    for (const proposal of input.proposals) {
      const urls = await links?.links(
        { identifier: input.identifier, workflowId, runId, proposalId: proposal.id },
        new Date(input.deadline),
      );
      await notifier.notify({
        id: `${workflowId}/${runId}/${proposal.id}`,
        event: 'approval.needed',
        identifier: input.identifier,
        proposal: {
          id: proposal.id,
          title: proposal.title,
          start: proposal.start,
          end: proposal.end,
          description: proposal.description,
        },
        ...(urls ? { approveLink: urls.approve, denyLink: urls.deny } : {}),
        deadline: input.deadline,
        workflowId,
        sentAt: new Date().toISOString(),
      });
    }
    return input.proposals.length;
  };
}

/**
 * Carries out the user's decisions: books each approved proposal exactly as proposed (title,
 * description with its marker line, time; nothing else: no attendees, no invitations) with the
 * worker's own MCP connection, and records approved and denied messages in the ledger.
 *
 * Idempotent, because a crash can land anywhere: before creating, the calendar is asked for the
 * message's marker, so a retry after a create whose answer was lost (or a worker killed after the
 * create) finds the event instead of booking a second one; the ledger keeps a message's first record.
 */
export function createRecordDecisions({ sealer, state }: ActivityDeps, provisioning: Provisioning) {
  return async function recordDecisions(input: RecordDecisionsInput): Promise<DecidedProposals> {
    const runId = Context.current().info.workflowExecution?.runId;
    const handledAt = new Date().toISOString();
    const events: DecidedProposals['events'] = [];
    if (input.approved.length > 0) {
      if (!input.token) throw new Error('approved proposals need a session token');
      const { mcpServerUrl } = await provisioning.resolve();
      const token = sealer.open(input.token, activityBinding(input.identifier));
      await Mailbox.open(mcpServerUrl, token, provisioning.catalog, async (mailbox) => {
        for (const proposal of input.approved) {
          const eventId = (await mailbox.eventFor(proposal.messageId)) ?? (await mailbox.createEvent(proposal));
          events.push({ id: proposal.id, messageId: proposal.messageId, eventId });
        }
      });
    }
    const records: HandledMessage[] = [
      ...events.map((e) => ({ messageId: e.messageId, disposition: 'event' as const, eventId: e.eventId })),
      ...input.denied.map((d) => ({
        messageId: d.proposal.messageId,
        disposition: 'denied' as const,
        reason: d.reason,
      })),
    ].map((r) => ({ ...r, handledAt, ...(runId ? { runId } : {}) }));
    await state.recordHandled(input.identifier, records);
    return { events };
  };
}

/** What `googlecalendar_create_event` is asked for, as far as a proposal keeps it. */
export interface CreateEventArgs {
  summary: string;
  start_datetime: string;
  description?: string;
  event_duration_hour?: number;
  event_duration_minutes?: number;
}

/** Scalekit's default length of an event given no duration. */
const DEFAULT_EVENT_MINUTES = 30;

/**
 * The proposal for a `create_event` call the tool policy allowed (approval mode `ask`): the session
 * activity denies the call and hands this to the workflow instead. Its id is stable per run and message.
 */
export function toProposal(runId: string, messageId: string, args: CreateEventArgs): Proposal {
  const start = new Date(args.start_datetime);
  const minutes =
    args.event_duration_hour === undefined && args.event_duration_minutes === undefined
      ? DEFAULT_EVENT_MINUTES
      : (args.event_duration_hour ?? 0) * 60 + (args.event_duration_minutes ?? 0);
  return {
    id: proposalId(runId, messageId),
    messageId,
    title: args.summary,
    start: start.toISOString(),
    end: new Date(start.getTime() + minutes * 60_000).toISOString(),
    description: args.description ?? '',
  };
}

/** What the agent is told when its `create_event` became a proposal: not an error to work around. */
export const PROPOSED_DENY_MESSAGE =
  'Not created: this user approves events first. The event was proposed to the user as it is; ' +
  'do not retry or create it another way, and do not report this email as needing no action.';
