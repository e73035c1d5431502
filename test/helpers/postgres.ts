import pg from 'pg';
import { inject } from 'vitest';
import { uniqueName } from './temporal.js';

/**
 * A fresh, empty database on the suite's PostgreSQL (see test/global-setup.ts), and a way to drop
 * it. Throws the reason, with how to fix it, when the suite has no PostgreSQL: never a silent skip.
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = inject('postgresUrl');
  if (!server) throw new Error(inject('postgresError'));
  const name = uniqueName('state')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
