import type { SqlDriver } from './sql-store.js';

/** Any fixed number: the advisory lock that serializes schema migrations between workers. */
const MIGRATION_LOCK = 0x1b0c5a7e;

/**
 * PostgreSQL through node-postgres, for production: one database that every worker of the
 * deployment, on any host, shares, and that outlives them all (its durability and backups are the
 * database's). A small pool per worker: a sweep makes a handful of short statements.
 */
export async function openPostgres(connectionString: string): Promise<SqlDriver> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle pooled connection that the server drops must not crash the worker: the pool replaces it.
  pool.on('error', (err) => console.warn(`inbox-agent state: idle PostgreSQL connection lost: ${err.message}`));
  let closing: Promise<void> | undefined;
  return {
    async query<Row>(sql: string, params?: unknown[]) {
      return (await pool.query(sql, params)).rows as Row[];
    },
    async exclusive(body) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await body(async <Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as Row[]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
