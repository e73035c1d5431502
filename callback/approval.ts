import type { IncomingMessage, ServerResponse } from 'node:http';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ApprovalBinding, ApprovalLinks } from '../consent/approval-links.js';
import { ConsentStateError } from '../consent/state.js';
import { InvalidInputError, sweepStatus, type InboxAgentClient } from '../client/index.js';
import { searchAttributes, WorkflowType, type ProposalDecision, type ProposalView } from '../workflows/contract.js';
import { page, refuse as reject } from './pages.js';

export interface ApprovalDeps {
  links: ApprovalLinks;
  inbox: InboxAgentClient;
  log: (line: string) => void;
}

/** What happened on one approval link; the tests and the log read it. */
export type ApprovalOutcome =
  | { result: 'shown' | 'approved' | 'denied'; identifier: string; proposalId: string }
  | { result: 'rejected'; status: number; reason: string };

/** A reason is at most 500 characters; a body much longer than the form makes is not ours. */
const MAX_BODY_BYTES = 4096;

/**
 * `/approval/<identifier>?token=…&decision=approve|deny`, the links in an approval notice. GET shows
 * the proposal and a button (nothing changes on GET: mail scanners and link previews open links);
 * the POST from that button sends the decision as the `decideProposals` Update to the sweep the
 * token names, by workflow id: a wait that continued as new carries its proposals to the latest run.
 * The token's signature proves we made the link; the path must name the same user, the workflow
 * must be that user's sweep, and the Update's validator accepts only a pending id (ids hash the run
 * that proposed them, so an older sweep's link matches nothing), so a used, replayed or second link
 * is refused with nothing changed.
 */
export function createApprovalHandler(deps: ApprovalDeps) {
  return async function handleApproval(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    pathIdentifier: string | undefined,
  ): Promise<ApprovalOutcome> {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
      return reject(res, 405, 'Method not allowed', ['Open the link in a browser.']);
    }
    const decision = url.searchParams.get('decision');
    const token = url.searchParams.get('token');
    if (!token || (decision !== 'approve' && decision !== 'deny')) {
      return reject(res, 400, 'Incomplete link', [
        'This link lacks its details. Open the link from your notice again.',
      ]);
    }
    let binding: ApprovalBinding;
    try {
      binding = await deps.links.verify(token);
    } catch (err) {
      if (!(err instanceof ConsentStateError)) throw err;
      return reject(res, err.status, err.reason === 'expired' ? 'This link has expired' : 'This link is not valid', [
        `${err.message[0]!.toUpperCase()}${err.message.slice(1)}.`,
        'Nothing was changed.',
      ]);
    }
    if (pathIdentifier !== binding.identifier || !(await isSweepOf(deps.inbox, binding))) {
      return reject(res, 403, 'This link belongs to someone else', ['Nothing was changed.']);
    }
    const proposal = await proposalOf(deps.inbox, binding);
    if (proposal?.state !== 'pending') {
      const what = proposal ? `It was already ${proposal.state}.` : 'The sweep that proposed it has ended.';
      return reject(res, 409, 'Nothing left to decide', [what, 'Nothing was changed.']);
    }
    const verb = decision === 'approve' ? 'Approve' : 'Deny';
    if (req.method !== 'POST') {
      page(
        res,
        200,
        `${verb} this event?`,
        [
          proposal.title,
          `${proposal.start} to ${proposal.end}`,
          // The summary without its marker line, which means nothing to a person.
          proposal.description.split('\n').slice(0, -1).join(' ').trim(),
        ],
        {
          action: url.pathname + url.search,
          submit: verb,
          ...(decision === 'deny' ? { reason: 'Why (optional):' } : {}),
        },
      );
      return { result: 'shown', identifier: binding.identifier, proposalId: binding.proposalId };
    }
    const reason = new URLSearchParams(await readBody(req)).get('reason')?.trim() || undefined;
    try {
      await deps.inbox.decideProposals(binding.identifier, {
        decision: decision as ProposalDecision,
        ids: [binding.proposalId],
        ...(reason ? { reason } : {}),
        by: 'approval link',
      });
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      return reject(res, 409, 'Nothing left to decide', [`${err.message}.`, 'Nothing was changed.']);
    }
    deps.log(`approval link: ${binding.identifier} ${decision}d ${binding.proposalId}`);
    page(res, 200, decision === 'approve' ? 'Approved' : 'Denied', [
      decision === 'approve'
        ? `"${proposal.title}" goes on your calendar in a moment.`
        : `"${proposal.title}" will not be booked.`,
      'You can close this page.',
    ]);
    return {
      result: decision === 'approve' ? 'approved' : 'denied',
      identifier: binding.identifier,
      proposalId: binding.proposalId,
    };
  };
}

/** The workflow the token names is a sweep of the user the token names (belt and braces: we signed both). */
async function isSweepOf(inbox: InboxAgentClient, binding: ApprovalBinding): Promise<boolean> {
  try {
    const described = await inbox.client.workflow.getHandle(binding.workflowId).describe();
    return (
      described.type === WorkflowType.inboxSweep &&
      described.typedSearchAttributes.get(searchAttributes.identifier) === binding.identifier
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

async function proposalOf(inbox: InboxAgentClient, binding: ApprovalBinding): Promise<ProposalView | undefined> {
  const handle = inbox.client.workflow.getHandle(binding.workflowId);
  if ((await handle.describe()).status.name !== 'RUNNING') return undefined;
  const status = await sweepStatus(handle);
  return status.proposals?.find((p) => p.id === binding.proposalId);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
