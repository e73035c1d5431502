import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { generateKeySpec } from '../codec/keys.js';
import { startCodecServer } from '../codec/server.js';
import { startDevServer } from '../scripts/dev-server.js';
import { freePort } from './helpers/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    temporalUiUrl: string;
    /** A PostgreSQL server the tests may create databases in; empty when none could be started. */
    postgresUrl: string;
    /** Why there is no `postgresUrl`, with how to fix it: the PostgreSQL tests fail with it. */
    postgresError: string;
    /** The suite's codec keys: what the Web UI's codec server decodes with. */
    codecKeys: string;
    codecServerUrl: string;
    codecServerToken: string;
  }
}

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster started by the project's own script, or the server named by
 * INBOX_AGENT_TEST_DATABASE_URL. A failure is handed to the tests that need it (they fail with it),
 * so the rest of the suite still runs.
 */
async function startPostgres(): Promise<{ url: string; error: string; stop: () => Promise<void> }> {
  const given = process.env.INBOX_AGENT_TEST_DATABASE_URL;
  if (given) return { url: given, error: '', stop: async () => {} };
  const script = join(import.meta.dirname, '..', 'scripts', 'postgres');
  const dir = await mkdtemp(join(tmpdir(), 'inbox-agent-pg-'));
  const stop = async () => void (await run('bash', [script, 'stop', dir]));
  try {
    const { stdout } = await run('bash', [script, 'start', dir, String(await freePort())]);
    return { url: stdout.trim(), error: '', stop };
  } catch (err) {
    await stop().catch(() => {});
    const stderr = (err as { stderr?: string }).stderr?.trim();
    return { url: '', error: `no PostgreSQL for the tests: ${stderr || (err as Error).message}`, stop: async () => {} };
  }
}

/**
 * One real Temporal dev server and one PostgreSQL for the whole suite; each test file attaches to
 * them. The Web UI reads payloads through a codec server holding the suite's codec keys, as
 * `npm start` wires it.
 */
export default async function setup(project: TestProject) {
  const uiPort = await freePort();
  const ui = `http://127.0.0.1:${uiPort}`;
  const codecKeys = generateKeySpec('suite');
  const token = randomBytes(32).toString('base64url');
  const codec = await startCodecServer({ codecKeys, token, origins: [ui, `http://localhost:${uiPort}`] });
  const [env, postgres] = await Promise.all([
    startDevServer({ uiPort, codecEndpoint: codec.uiEndpoint }),
    startPostgres(),
  ]).catch(async (err: unknown) => {
    await codec.close();
    throw err;
  });
  project.provide('temporalAddress', env.address);
  project.provide('temporalUiUrl', ui);
  project.provide('temporalNamespace', env.namespace ?? 'default');
  project.provide('postgresUrl', postgres.url);
  project.provide('postgresError', postgres.error);
  project.provide('codecKeys', codecKeys);
  project.provide('codecServerUrl', codec.url);
  project.provide('codecServerToken', token);
  return async () => {
    await Promise.all([env.teardown(), postgres.stop()]);
    await codec.close();
  };
}
