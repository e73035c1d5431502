/**
 * What the workflows hand the activities and get back: internal shapes, not the public contract
 * (that is `workflows/contract.ts`, defined by the zod schemas in `contract.schema.ts`). Nothing here
 * is exported by the client. Workflow code imports these as types only.
 */
import type { ApprovalMode, ConnectionsReport, Proposal, ToolDecisionRecord } from '../workflows/contract.js';

/** A secret sealed by a worker (AES-256-GCM): safe to pass through history, only workers can open it. */
export interface SealedSecret {
  sealed: string;
  keyId: string;
}

export interface MintedToken {
  token: SealedSecret;
  expiresAt: string;
}

export interface VaultRef {
  vaultId: string;
  credentialId: string;
  /** True when this run created the credential (first run); false when it only replaced the token. */
  created: boolean;
}

export interface AgentSessionInput {
  identifier: string;
  vaultId: string;
  /** The e-mails this session must handle (ids and subjects), sealed: subjects are user mail. */
  batch: SealedSecret;
  eventForEveryEmail: boolean;
  /** `ask`: the policy's allowed `create_event` calls become proposals instead (default `auto`). */
  approval?: ApprovalMode;
}

/** Which session activity's sessions `endAgentSession` interrupts and archives. */
export interface EndAgentSessionInput {
  identifier: string;
  /** The `activityId` the workflow gave that `runAgentSession`; its sessions carry it in their metadata. */
  activityId: string;
  /** When the workflow scheduled it (ISO); sessions are listed from then on. */
  createdSince: string;
}

/** A finished session to archive once its events are confirmed (`archiveAgentSession`). */
export interface ArchiveAgentSessionInput {
  identifier: string;
  sessionId: string;
}

/** What `findUnhandled` hands the workflow: ids in the clear, everything from the mail sealed. */
export interface InboxBatch {
  /** Unhandled unread messages for this sweep, oldest first, at most the per-sweep cap. */
  messageIds: string[];
  /** `[{ id, subject }]` of `messageIds`, sealed. */
  batch?: SealedSecret;
  /** Unhandled messages beyond the cap, left for the next sweep. */
  remaining: number;
  unread: number;
  /** Set when the unread scan hit its bound (MAX_UNREAD_SCANNED) with pages left: older unread mail was not seen. */
  unreadCapped?: boolean;
  /** Messages the ledger had lost but the calendar still showed an event for: recorded, not re-sent. */
  recovered: number;
  /** Unread messages set aside (`gave_up`) after MAX_ATTEMPTS sessions: skipped until `retry`. */
  gaveUp: number;
  /** The user's approval mode, read from the shared store with the ledger (no call of its own). */
  approval?: ApprovalMode;
  /**
   * Recorded `no_action` by the worker's own bulk-mail rules (`List-Unsubscribe`, `Precedence:
   * bulk|list|junk`, a no-reply sender; activities/bulk-mail.ts), never handed to the agent.
   */
  bulkNoAction?: string[];
}

/** Input of the `notifyApproval` activity. */
export interface ApprovalNoticeInput {
  identifier: string;
  proposals: Proposal[];
  /** When undecided proposals are denied (ISO). */
  deadline: string;
}

/** Input of the `recordDecisions` activity: decisions the workflow has not carried out yet. */
export interface RecordDecisionsInput {
  identifier: string;
  /** A token minted for this step; needed only when something was approved. */
  token?: SealedSecret;
  approved: Proposal[];
  denied: Array<{ proposal: Proposal; reason: string }>;
}

export interface DecidedProposals {
  /** The approved proposals' events: created now, or found from an earlier attempt. */
  events: Array<{ id: string; messageId: string; eventId: string }>;
}

/**
 * Heartbeat details of `runAgentSession`: what a retried attempt needs to re-attach, and the progress
 * `status` reads from the pending activity (no history event per report).
 */
export interface SessionProgress {
  sessionId: string;
  messageSent: boolean;
  /** Turns (one per batch message) whose message this attempt or an earlier one sent. */
  turnsSent?: number;
  lastEventId?: string;
  eventsSeen: number;
  /** Tool calls the agent made so far (the status query shows it). */
  toolCalls?: number;
  /** The tool policy's decisions so far, so `status` shows a denied call while the session runs. */
  toolDecisions?: ToolDecisionRecord[];
}

/** Input of the `notifyReauthorization` activity. */
export interface ReauthorizationNoticeInput {
  event: 'needed' | 'reminder' | 'gave_up';
  identifier: string;
  workflowId: string;
  deadline: string;
  /** The check that just found the connections inactive: its links are seconds old, so no new call. */
  report?: ConnectionsReport;
}
