/**
 * Per-user state that every worker of a deployment shares and that outlives any worker host: the
 * user's vault and credential ids, and the ledger of e-mails already handled. A second worker with
 * empty local state must make exactly the same decisions as the first, so nothing here may live
 * only in one process. Implementations: SQLite (embedded default) and PostgreSQL (production), one
 * code path (`state/sql-store.ts`); `test/state-store.test.ts` checks both (and the tests' memory
 * store) against the same contract.
 *
 * Why a database rather than state kept in Temporal (a long-lived workflow per user that owns the
 * ledger and continues-as-new):
 * - The ledger only grows (every message id a user ever had handled) and is read by activities,
 *   before any session. In a workflow it would be carried through every continue-as-new and read
 *   through queries or updates, each a round-trip through the Temporal server that needs a worker
 *   to replay the entity; here a read is one primary-key probe of the few unread ids.
 * - Concurrent writers agree without coordination: `INSERT … ON CONFLICT DO NOTHING` on the key
 *   (identifier, message_id) lets the first record win atomically, where an entity workflow would
 *   need every sweep to route its writes through one more workflow (and its history limits).
 * - Operators can read, back up and repair it with ordinary SQL, and a lost ledger can be rebuilt
 *   from the calendar, which carries the message ids too.
 * The price is one more service in production; most deployments already run PostgreSQL, and the
 * SQLite default keeps `npm start` and the tests free of it.
 */

import type { ApprovalMode } from '../workflows/contract.js';

export interface RememberedVault {
  vaultId: string;
  credentialId: string;
}

/**
 * What became of a handled e-mail: an `Action Required` event, judged to need no action, a proposal
 * the user denied, or set aside after `MAX_ATTEMPTS` sessions did not handle it (until `retry`).
 */
export type Disposition = 'event' | 'no_action' | 'denied' | 'gave_up';

/** Sessions that may fail to handle a message before it is set aside as `gave_up`. */
export const MAX_ATTEMPTS = 3;

/** One session that tried a batch: its id makes counting it twice a no-op. */
export interface Attempt {
  id: string;
  /** What went wrong, in the worker's words: never mail content. */
  reason: string;
  /** ISO time. */
  at: string;
}

export interface HandledMessage {
  /** The Gmail message id. */
  messageId: string;
  disposition: Disposition;
  /** The calendar event id, for `event`. */
  eventId?: string;
  /** For `gave_up` (the last attempt's reason) and `denied`: never mail content. */
  reason?: string;
  /** ISO time. */
  handledAt: string;
  /** The workflow run that handled it, for audit. */
  runId?: string;
}

export interface UserStateStore {
  getVault(identifier: string): Promise<RememberedVault | undefined>;
  setVault(identifier: string, ids: RememberedVault): Promise<void>;
  /**
   * Records `vaultId` as the user's vault when none is recorded, or when the recorded one is
   * `replacing` (a vault found gone); the credential id is then empty until `setVault`. Returns what
   * is recorded afterwards: racing first sweeps all get the first claim and archive their own.
   */
  claimVault(identifier: string, vaultId: string, replacing?: string): Promise<RememberedVault>;
  /** Whether any user's vault is recorded: a store with none is new (or was lost). */
  hasVaults(): Promise<boolean>;
  /** Of the given message ids, the ones already handled, each once, in the order asked. */
  handledAmong(identifier: string, messageIds: string[]): Promise<HandledMessage[]>;
  /** Records messages as handled. Idempotent: a message already recorded keeps its first record. */
  recordHandled(identifier: string, entries: HandledMessage[]): Promise<void>;
  /**
   * Counts one attempt that did not handle these messages; the same `attempt.id` counts once. The
   * attempts so far per message id.
   */
  countAttempts(identifier: string, messageIds: string[], attempt: Attempt): Promise<Map<string, number>>;
  /**
   * Marks messages as handed to an agent (before its session), so a later read looks for their
   * calendar event; a message never handed over cannot have one. Idempotent; counts no attempt.
   */
  markHandedOver(identifier: string, messageIds: string[]): Promise<void>;
  /** Of the given message ids, the ones ever handed to an agent (marked, or counted as an attempt). */
  handedOverAmong(identifier: string, messageIds: string[]): Promise<Set<string>>;
  /**
   * Forgets a `gave_up` record and counts the message's attempts afresh, keeping it marked as handed
   * over (its event, if one was booked, is found before it is handed out again); false when it was not
   * given up.
   */
  retryMessage(identifier: string, messageId: string): Promise<boolean>;
  /** The user's approval mode; `auto` for a user never set. */
  getApprovalMode(identifier: string): Promise<ApprovalMode>;
  setApprovalMode(identifier: string, mode: ApprovalMode): Promise<void>;
  /** Records a consent state as used; true the first time only (the callback's single-use check). */
  spendConsentState(stateId: string, expiresAt: Date): Promise<boolean>;
  /** Idempotent. */
  close(): Promise<void>;
}
