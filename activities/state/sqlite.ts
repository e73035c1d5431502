import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqlDriver } from './sql-store.js';

/**
 * SQLite through better-sqlite3, the embedded default (`npm start`, tests, a single-host deployment):
 * a file next to the rest of the local state, nothing to run. Every worker process on the host that
 * opens the same file shares the state; WAL lets readers go on while one writes, and a busy timeout
 * makes a second writer wait its turn instead of failing. It cannot outlive the host, which is what
 * the PostgreSQL driver is for.
 *
 * better-sqlite3 rather than the alternatives: node:sqlite needs Node 22 (we run 20); PGlite would
 * give PostgreSQL's dialect but is one process's in-memory engine (a second worker cannot open the
 * same data directory) and ships ~10 MB of WASM. better-sqlite3's calls are synchronous; each of our
 * statements is a primary-key probe of a few rows, well under a millisecond, so blocking the event
 * loop for it costs less than an async driver's thread hop would.
 */
/** Per database file, the tail of this process's queue of exclusive sections. */
const turns = new Map<string, Promise<void>>();

export async function openSqlite(path: string): Promise<SqlDriver> {
  // Loaded here, not at the top, so a PostgreSQL deployment never loads the native module.
  const { default: Database } = await import('better-sqlite3');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');

  // Statements use PostgreSQL's numbered `$1`; better-sqlite3 binds only anonymous `?` (or named
  // ones from an object), so each `$n` becomes `?` and the values are laid out in the order they occur.
  const statements = new Map<string, { statement: BetterSqlite3.Statement; order: number[] }>();
  const prepare = (sql: string) => {
    let prepared = statements.get(sql);
    if (!prepared) {
      const order = [...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]) - 1);
      prepared = { statement: db.prepare(sql.replace(/\$\d+/g, '?')), order };
      statements.set(sql, prepared);
    }
    return prepared;
  };
  const run = <Row>(sql: string, params: unknown[] = []): Row[] => {
    const { statement, order } = prepare(sql);
    const values = order.map((i) => params[i]);
    if (statement.reader) return statement.all(...values) as Row[];
    statement.run(...values);
    return [];
  };

  return {
    async query<Row>(sql: string, params?: unknown[]) {
      return run<Row>(sql, params);
    },
    async exclusive(body) {
      // Two connections of one process would deadlock here: the second's BEGIN blocks the thread in
      // SQLite's busy wait while the first, holding the lock, waits for that thread to run its next
      // statement. So sections on one file take turns within the process; across processes, the
      // database lock and the busy timeout do it.
      const previous = turns.get(path) ?? Promise.resolve();
      const mine = previous.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          await body(async (sql, params) => run(sql, params));
          db.exec('COMMIT');
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        }
      });
      const settled = mine.catch(() => {});
      turns.set(path, settled);
      await mine.finally(() => {
        if (turns.get(path) === settled) turns.delete(path);
      });
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
