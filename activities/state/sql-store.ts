import type { ApprovalMode } from '../../workflows/contract.js';
import type { Attempt, HandledMessage, RememberedVault, UserStateStore } from '../user-state.js';

/**
 * The little that differs between SQLite and PostgreSQL, behind one interface, so that the store,
 * its schema and every statement below are one code path for both. Statements are written with
 * PostgreSQL's `$1` placeholders; the SQLite driver runs them as `?1`, which means the same there.
 */
export type Query = <Row>(sql: string, params?: unknown[]) => Promise<Row[]>;

export interface SqlDriver {
  query: Query;
  /**
   * Runs `body` in one transaction that no other process runs at the same time (SQLite: `BEGIN
   * IMMEDIATE`, the database's write lock; PostgreSQL: an advisory transaction lock), so workers
   * starting together apply each migration once. `body` runs its statements through the `Query` it
   * is given, which is bound to that transaction.
   */
  exclusive(body: (query: Query) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The schema, oldest first, applied in order on open and recorded in `inbox_agent_migrations`; a
 * change is a new entry, never an edit of an applied one. Types are kept to what both databases
 * share (TEXT, INTEGER), so the same DDL runs on each. Times are ISO 8601 text, which sorts.
 */
const MIGRATIONS: ReadonlyArray<string | readonly string[]> = [
  `CREATE TABLE inbox_agent_vaults (
     identifier    TEXT PRIMARY KEY,
     vault_id      TEXT NOT NULL,
     credential_id TEXT NOT NULL,
     updated_at    TEXT NOT NULL
   )`,
  // Keyed by (identifier, message_id): every lookup and insert of a sweep is a primary-key probe
  // for one user's few messages, never a scan of the table, however many users it holds.
  `CREATE TABLE inbox_agent_handled (
     identifier  TEXT NOT NULL,
     message_id  TEXT NOT NULL,
     disposition TEXT NOT NULL CHECK (disposition IN ('event', 'no_action')),
     event_id    TEXT,
     handled_at  TEXT NOT NULL,
     run_id      TEXT,
     PRIMARY KEY (identifier, message_id)
   )`,
  // Poison mail and approvals: two more dispositions (`denied`: a proposal the user turned down;
  // `gave_up`: set aside after MAX_ATTEMPTS sessions, with the last reason, until `retry`), and a
  // count of the sessions that tried a message and did not handle it. Neither database can widen a
  // CHECK in place (SQLite cannot alter constraints at all), so the table is rebuilt, which both do
  // the same way; `reason` never holds mail content, only what went wrong.
  [
    `CREATE TABLE inbox_agent_handled_v2 (
       identifier  TEXT NOT NULL,
       message_id  TEXT NOT NULL,
       disposition TEXT NOT NULL CHECK (disposition IN ('event', 'no_action', 'denied', 'gave_up')),
       event_id    TEXT,
       reason      TEXT,
       handled_at  TEXT NOT NULL,
       run_id      TEXT,
       PRIMARY KEY (identifier, message_id)
     )`,
    `INSERT INTO inbox_agent_handled_v2 (identifier, message_id, disposition, event_id, handled_at, run_id)
     SELECT identifier, message_id, disposition, event_id, handled_at, run_id FROM inbox_agent_handled`,
    'DROP TABLE inbox_agent_handled',
    'ALTER TABLE inbox_agent_handled_v2 RENAME TO inbox_agent_handled',
    // One row per message a session tried and did not handle; `last_attempt_id` (the session) makes
    // counting the same session twice (a retried activity) a no-op.
    `CREATE TABLE inbox_agent_attempts (
       identifier      TEXT NOT NULL,
       message_id      TEXT NOT NULL,
       attempts        INTEGER NOT NULL,
       last_attempt_id TEXT NOT NULL,
       last_reason     TEXT NOT NULL,
       last_attempt_at TEXT NOT NULL,
       PRIMARY KEY (identifier, message_id)
     )`,
  ],
  // Per-user settings the user (or an operator) chooses; a user with no row has the defaults.
  `CREATE TABLE inbox_agent_users (
     identifier TEXT PRIMARY KEY,
     approval   TEXT NOT NULL CHECK (approval IN ('auto', 'ask')),
     updated_at TEXT NOT NULL
   )`,
  // The consent states the callback has spent: each works once (a replayed redirect causes no
  // Scalekit call and no signal). Rows outlive their state's expiry only until the next spend.
  `CREATE TABLE inbox_agent_consent_states (
     state_id   TEXT PRIMARY KEY,
     expires_at TEXT NOT NULL,
     used_at    TEXT NOT NULL
   )`,
];

/** Rows per statement: far below both databases' bound-parameter limits (SQLite 32766, PostgreSQL 65535). */
const BATCH = 200;

const chunks = <T>(items: T[]) =>
  Array.from({ length: Math.ceil(items.length / BATCH) }, (_, i) => items.slice(i * BATCH, (i + 1) * BATCH));

/** `$1, $2, …` for `count` parameters after the first `offset`. */
const placeholders = (count: number, offset: number) =>
  Array.from({ length: count }, (_, i) => `$${offset + i + 1}`).join(', ');

interface HandledRow {
  message_id: string;
  disposition: HandledMessage['disposition'];
  event_id: string | null;
  reason: string | null;
  handled_at: string;
  run_id: string | null;
}

export class SqlUserStateStore implements UserStateStore {
  private constructor(private readonly db: SqlDriver) {}

  /** Opens the store on a connected driver, bringing the schema up to date (idempotently). */
  static async open(db: SqlDriver): Promise<SqlUserStateStore> {
    try {
      await db.exclusive(async (query) => {
        await query(
          'CREATE TABLE IF NOT EXISTS inbox_agent_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
        );
        const [row] = await query<{ version: number | null }>(
          'SELECT MAX(version) AS version FROM inbox_agent_migrations',
        );
        for (let version = Number(row?.version ?? 0) + 1; version <= MIGRATIONS.length; version++) {
          for (const statement of [MIGRATIONS[version - 1]!].flat()) await query(statement);
          await query('INSERT INTO inbox_agent_migrations (version, applied_at) VALUES ($1, $2)', [
            version,
            new Date().toISOString(),
          ]);
        }
      });
    } catch (err) {
      await db.close();
      throw err;
    }
    return new SqlUserStateStore(db);
  }

  async getVault(identifier: string): Promise<RememberedVault | undefined> {
    const [row] = await this.db.query<{ vault_id: string; credential_id: string }>(
      'SELECT vault_id, credential_id FROM inbox_agent_vaults WHERE identifier = $1',
      [identifier],
    );
    return row && { vaultId: row.vault_id, credentialId: row.credential_id };
  }

  async setVault(identifier: string, ids: RememberedVault): Promise<void> {
    await this.db.query(
      `INSERT INTO inbox_agent_vaults (identifier, vault_id, credential_id, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (identifier) DO UPDATE
         SET vault_id = excluded.vault_id, credential_id = excluded.credential_id, updated_at = excluded.updated_at`,
      [identifier, ids.vaultId, ids.credentialId, new Date().toISOString()],
    );
  }

  async claimVault(identifier: string, vaultId: string, replacing?: string): Promise<RememberedVault> {
    // No recorded vault id is empty, so without `replacing` a recorded row is never overwritten.
    await this.db.query(
      `INSERT INTO inbox_agent_vaults (identifier, vault_id, credential_id, updated_at) VALUES ($1, $2, '', $3)
       ON CONFLICT (identifier) DO UPDATE
         SET vault_id = excluded.vault_id, credential_id = '', updated_at = excluded.updated_at
         WHERE inbox_agent_vaults.vault_id = $4`,
      [identifier, vaultId, new Date().toISOString(), replacing ?? ''],
    );
    return (await this.getVault(identifier))!;
  }

  async hasVaults(): Promise<boolean> {
    return (await this.db.query('SELECT 1 AS one FROM inbox_agent_vaults LIMIT 1')).length > 0;
  }

  async handledAmong(identifier: string, messageIds: string[]): Promise<HandledMessage[]> {
    const asked = [...new Set(messageIds)];
    const found: HandledMessage[] = [];
    for (const ids of chunks(asked)) {
      const rows = await this.db.query<HandledRow>(
        `SELECT message_id, disposition, event_id, reason, handled_at, run_id FROM inbox_agent_handled
         WHERE identifier = $1 AND message_id IN (${placeholders(ids.length, 1)})`,
        [identifier, ...ids],
      );
      for (const row of rows) {
        found.push({
          messageId: row.message_id,
          disposition: row.disposition,
          handledAt: row.handled_at,
          ...(row.event_id !== null && { eventId: row.event_id }),
          ...(row.reason !== null && { reason: row.reason }),
          ...(row.run_id !== null && { runId: row.run_id }),
        });
      }
    }
    // Rows come in index order; callers get them in the order they asked, like every store.
    const position = new Map(asked.map((id, i) => [id, i]));
    return found.sort((a, b) => position.get(a.messageId)! - position.get(b.messageId)!);
  }

  /**
   * `ON CONFLICT DO NOTHING` makes the first record of a message win, atomically, in both databases:
   * two workers recording the same message at once (a re-attached sweep and its predecessor) agree
   * on one row without reading first.
   */
  async recordHandled(identifier: string, entries: HandledMessage[]): Promise<void> {
    for (const batch of chunks(entries)) {
      const values = batch.map((_, i) => `(${placeholders(7, i * 7)})`).join(', ');
      await this.db.query(
        `INSERT INTO inbox_agent_handled (identifier, message_id, disposition, event_id, reason, handled_at, run_id)
         VALUES ${values} ON CONFLICT (identifier, message_id) DO NOTHING`,
        batch.flatMap((e) => [
          identifier,
          e.messageId,
          e.disposition,
          e.eventId ?? null,
          e.reason ?? null,
          e.handledAt,
          e.runId ?? null,
        ]),
      );
    }
  }

  /** One upsert per chunk: the count goes up once per attempt id, atomically, whoever counts at once. */
  async countAttempts(identifier: string, messageIds: string[], attempt: Attempt): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const ids of chunks([...new Set(messageIds)])) {
      const values = ids.map((_, i) => `(${placeholders(6, i * 6)})`).join(', ');
      const rows = await this.db.query<{ message_id: string; attempts: number | string }>(
        `INSERT INTO inbox_agent_attempts
           (identifier, message_id, attempts, last_attempt_id, last_reason, last_attempt_at)
         VALUES ${values}
         ON CONFLICT (identifier, message_id) DO UPDATE SET
           attempts = inbox_agent_attempts.attempts +
             CASE WHEN inbox_agent_attempts.last_attempt_id = excluded.last_attempt_id THEN 0 ELSE 1 END,
           last_attempt_id = excluded.last_attempt_id,
           last_reason = excluded.last_reason,
           last_attempt_at = excluded.last_attempt_at
         RETURNING message_id, attempts`,
        ids.flatMap((id) => [identifier, id, 1, attempt.id, attempt.reason, attempt.at]),
      );
      for (const row of rows) counts.set(row.message_id, Number(row.attempts));
    }
    return counts;
  }

  // A handed-over message is an attempts row counting 0 with no attempt id: the first attempt
  // counted on it then makes 1 (its id differs), exactly as on a message with no row.
  async markHandedOver(identifier: string, messageIds: string[]): Promise<void> {
    const at = new Date().toISOString();
    for (const ids of chunks([...new Set(messageIds)])) {
      const values = ids.map((_, i) => `(${placeholders(4, i * 4)}, 0, '')`).join(', ');
      await this.db.query(
        `INSERT INTO inbox_agent_attempts
           (identifier, message_id, last_reason, last_attempt_at, attempts, last_attempt_id)
         VALUES ${values} ON CONFLICT (identifier, message_id) DO NOTHING`,
        ids.flatMap((id) => [identifier, id, 'handed to an agent', at]),
      );
    }
  }

  async handedOverAmong(identifier: string, messageIds: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const ids of chunks([...new Set(messageIds)])) {
      const rows = await this.db.query<{ message_id: string }>(
        `SELECT message_id FROM inbox_agent_attempts WHERE identifier = $1 AND message_id IN (${placeholders(ids.length, 1)})`,
        [identifier, ...ids],
      );
      for (const row of rows) found.add(row.message_id);
    }
    return found;
  }

  async retryMessage(identifier: string, messageId: string): Promise<boolean> {
    const removed = await this.db.query<{ message_id: string }>(
      `DELETE FROM inbox_agent_handled WHERE identifier = $1 AND message_id = $2 AND disposition = 'gave_up'
       RETURNING message_id`,
      [identifier, messageId],
    );
    // Its attempts count afresh, but it stays marked as handed over: an agent had it, so the next read
    // looks for its event before handing it out again.
    if (removed.length === 0) return false;
    await this.db.query(
      `UPDATE inbox_agent_attempts SET attempts = 0, last_attempt_id = '' WHERE identifier = $1 AND message_id = $2`,
      [identifier, messageId],
    );
    return true;
  }

  async getApprovalMode(identifier: string): Promise<ApprovalMode> {
    const [row] = await this.db.query<{ approval: ApprovalMode }>(
      'SELECT approval FROM inbox_agent_users WHERE identifier = $1',
      [identifier],
    );
    return row?.approval ?? 'auto';
  }

  async setApprovalMode(identifier: string, mode: ApprovalMode): Promise<void> {
    await this.db.query(
      `INSERT INTO inbox_agent_users (identifier, approval, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (identifier) DO UPDATE SET approval = excluded.approval, updated_at = excluded.updated_at`,
      [identifier, mode, new Date().toISOString()],
    );
  }

  /** The insert decides, atomically in both databases: two callbacks spending one state agree on one winner. */
  async spendConsentState(stateId: string, expiresAt: Date): Promise<boolean> {
    const now = new Date().toISOString();
    await this.db.query('DELETE FROM inbox_agent_consent_states WHERE expires_at < $1', [now]);
    const rows = await this.db.query<{ state_id: string }>(
      `INSERT INTO inbox_agent_consent_states (state_id, expires_at, used_at) VALUES ($1, $2, $3)
       ON CONFLICT (state_id) DO NOTHING RETURNING state_id`,
      [stateId, expiresAt.toISOString(), now],
    );
    return rows.length > 0;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
