import { createHash } from 'node:crypto';
import { isValidIdentifier, type ProposalDecision } from '../workflows/contract.js';
import { ConsentStateError, signFor, verifySigned } from './state.js';

/**
 * Approve and deny links for one proposal, served by the consent callback (`/approval/<identifier>`).
 * The token is a JWT signed with the consent key (the callback already holds it; a separate audience
 * keeps consent states and approval links apart) and binds the user, the sweep run and the proposal.
 * It is single-use without a store: the callback sends it on as a `decideProposals` Update to exactly
 * that run, whose validator accepts only pending ids, so a replay (or the other link of the pair
 * after the first was used) is refused and changes nothing. It expires with the approval wait.
 */
export interface ApprovalBinding {
  identifier: string;
  workflowId: string;
  runId: string;
  proposalId: string;
}

export interface ApprovalLinks {
  /** The approve and deny links, valid until `expiresAt`. */
  links(binding: ApprovalBinding, expiresAt: Date): Promise<Record<ProposalDecision, string>>;
  /** The binding of a token from a link; throws ConsentStateError (malformed, forged, expired). */
  verify(token: string): Promise<ApprovalBinding>;
}

const AUDIENCE = 'inbox-agent:approval';
/** The page is where the person decides; a little slack past the deadline lets it say "too late" itself. */
const GRACE_SECONDS = 300;

export const approvalPath = (identifier: string) => `/approval/${encodeURIComponent(identifier)}`;

export function createApprovalLinks(keyBase64: string, callbackUrl: string): ApprovalLinks {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length < 32) throw new Error('consent key must be at least 32 bytes');
  return {
    async links(binding, expiresAt) {
      const claims = { wf: binding.workflowId, run: binding.runId, pid: binding.proposalId };
      const exp = Math.floor(expiresAt.getTime() / 1000) + GRACE_SECONDS;
      const token = await signFor(claims, binding.identifier, AUDIENCE, exp, key);
      const url = (decision: ProposalDecision) => {
        const link = new URL(approvalPath(binding.identifier), callbackUrl);
        link.searchParams.set('token', token);
        link.searchParams.set('decision', decision);
        return link.toString();
      };
      return { approve: url('approve'), deny: url('deny') };
    },
    async verify(token) {
      const { sub, wf, run, pid } = await verifySigned(token, key, AUDIENCE);
      if (typeof sub !== 'string' || !isValidIdentifier(sub) || ![wf, run, pid].every((v) => typeof v === 'string')) {
        throw new ConsentStateError('malformed', 'this link names no proposal');
      }
      return { identifier: sub, workflowId: wf as string, runId: run as string, proposalId: pid as string };
    },
  };
}

/**
 * A proposal's id: the same for the same sweep run and message (a retried or second session proposes
 * the same id, so the workflow keeps one), different across runs (a link for an old run's proposal
 * never matches a new one). Short enough to type in `approve <identifier> <id>`.
 */
export function proposalId(runId: string, messageId: string): string {
  return `p-${createHash('sha256').update(`${runId}\n${messageId}`).digest('hex').slice(0, 10)}`;
}
