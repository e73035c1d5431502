import { openPostgres } from './postgres.js';
import { SqlUserStateStore } from './sql-store.js';
import { openSqlite } from './sqlite.js';

/**
 * Opens the shared state store named by `url` (`postgres://…` or `sqlite:<path>`), creating or
 * migrating its schema. Fails here, at worker start, when the database cannot be reached.
 */
export async function openUserStateStore(url: string): Promise<SqlUserStateStore> {
  if (url.startsWith('sqlite:')) return SqlUserStateStore.open(await openSqlite(url.slice('sqlite:'.length)));
  if (/^postgres(ql)?:\/\//.test(url)) return SqlUserStateStore.open(await openPostgres(url));
  throw new Error('the state database URL must be postgres://… or sqlite:<path>');
}

/** The URL without its password, for logs and start-up lines. */
export function describeDatabaseUrl(url: string): string {
  if (url.startsWith('sqlite:')) return `SQLite ${url.slice('sqlite:'.length)}`;
  const parsed = new URL(url);
  return `PostgreSQL ${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
}
