import { describe, expect, it } from 'vitest';
import { loadClientConfig } from '../../client/config.js';
import { describeDatabaseUrl } from '../../activities/state/index.js';
import { parseWorkerConfig } from '../../worker/config.js';
import { buildActivityDeps } from '../../worker/deps.js';

const valid = {
  SCALEKIT_ENV_URL: 'https://acme.scalekit.dev',
  SCALEKIT_CLIENT_ID: 'skc_1',
  SCALEKIT_CLIENT_SECRET: 'secret',
  ANTHROPIC_API_KEY: 'sk-ant-1',
  ANTHROPIC_ENVIRONMENT_ID: 'env_1',
  INBOX_AGENT_CODEC_KEYS: `k1:${Buffer.alloc(32, 8).toString('base64')}`,
  INBOX_AGENT_SEAL_KEY: Buffer.alloc(32, 7).toString('base64'),
  INBOX_AGENT_SCALEKIT_USER_VERIFICATION: 'dashboard',
};
const codecOnly = { INBOX_AGENT_CODEC_KEYS: valid.INBOX_AGENT_CODEC_KEYS };

describe('worker config', () => {
  it('applies defaults', () => {
    const config = parseWorkerConfig(valid);
    expect(config.INBOX_AGENT_TASK_QUEUE).toBe('inbox-agent');
    expect(config.INBOX_AGENT_MCP_CONFIG_NAME).toBe('email-calendar-demo');
    expect(config.ANTHROPIC_BASE_URL).toBeUndefined();
  });
  it.each([
    [{ SCALEKIT_ENV_URL: undefined }, 'SCALEKIT_ENV_URL is not set (see .env.example)'],
    [{ SCALEKIT_ENV_URL: 'ftp://x' }, /^SCALEKIT_ENV_URL /],
    [{ INBOX_AGENT_SEAL_KEY: 'abc' }, /^INBOX_AGENT_SEAL_KEY must be 32 random bytes/],
    [{ INBOX_AGENT_MCP_CONFIG_NAME: 'Bad Name' }, /^INBOX_AGENT_MCP_CONFIG_NAME lower-case/],
    [{ INBOX_AGENT_CODEC_KEYS: undefined }, 'INBOX_AGENT_CODEC_KEYS is not set (see .env.example)'],
    [{ INBOX_AGENT_CODEC_KEYS: 'k1:c2hvcnQ=' }, /^INBOX_AGENT_CODEC_KEYS key "k1" is not 32 bytes/],
    [
      { INBOX_AGENT_CODEC_KEYS: `${valid.INBOX_AGENT_CODEC_KEYS},${valid.INBOX_AGENT_CODEC_KEYS}` },
      /names key id "k1" twice/,
    ],
    [{ INBOX_AGENT_SEAL_KEY: undefined }, 'INBOX_AGENT_SEAL_KEYS is not set (see .env.example)'],
    [
      { INBOX_AGENT_SEAL_KEYS: valid.INBOX_AGENT_CODEC_KEYS.replace('k1', 's1') },
      /^INBOX_AGENT_SEAL_KEYS shares a key with INBOX_AGENT_CODEC_KEYS/,
    ],
  ])('names the variable: %j', (patch, message) => {
    expect(() => parseWorkerConfig({ ...valid, ...patch })).toThrow(message);
  });
  it('never echoes a secret in its message', () => {
    let message = '';
    try {
      parseWorkerConfig({ ...valid, INBOX_AGENT_SEAL_KEY: 'hunter2-not-base64' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^INBOX_AGENT_SEAL_KEY /);
    expect(message).not.toContain('hunter2');
  });
});

describe('worker config: the state database', () => {
  it('defaults to SQLite in the state directory', () => {
    expect(parseWorkerConfig({ ...valid, INBOX_AGENT_STATE_DIR: '/var/lib/ia' }).INBOX_AGENT_DATABASE_URL).toBe(
      'sqlite:/var/lib/ia/state.db',
    );
    const url = 'postgres://ia:pw@db.internal:5432/inbox';
    expect(parseWorkerConfig({ ...valid, INBOX_AGENT_DATABASE_URL: url }).INBOX_AGENT_DATABASE_URL).toBe(url);
  });

  it('rejects anything else in one line that names the variable and does not echo it', () => {
    expect(() => parseWorkerConfig({ ...valid, INBOX_AGENT_DATABASE_URL: 'mysql://u:hunter2@h/db' })).toThrow(
      /^INBOX_AGENT_DATABASE_URL must be postgres:\/\/… or sqlite:<path> \(see \.env\.example\)$/,
    );
  });

  it('describes a PostgreSQL URL without its password', () => {
    const text = describeDatabaseUrl('postgres://ia:hunter2@db.internal:5432/inbox');
    expect(text).toBe('PostgreSQL db.internal:5432/inbox');
  });

  it('a database that cannot be reached fails the worker at start, naming it without the password', async () => {
    const config = parseWorkerConfig({ ...valid, INBOX_AGENT_DATABASE_URL: 'postgres://ia:hunter2@127.0.0.1:1/inbox' });
    const failure = await buildActivityDeps(config, undefined as never).catch((err: Error) => err);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^cannot open the state database \(PostgreSQL 127\.0\.0\.1:1\/inbox\)/);
    expect((failure as Error).message).not.toContain('hunter2');
  });
});

describe('client config', () => {
  it('defaults to a local server and the inbox-agent queue', () => {
    const config = loadClientConfig(codecOnly);
    expect(config.taskQueue).toBe('inbox-agent');
    expect(config.namespace).toBe('default');
  });
  it('reads TEMPORAL_* the standard way', () => {
    const config = loadClientConfig({
      ...codecOnly,
      TEMPORAL_ADDRESS: 'temporal.example:7233',
      TEMPORAL_NAMESPACE: 'prod',
    });
    expect(config.connectionOptions.address).toBe('temporal.example:7233');
    expect(config.namespace).toBe('prod');
  });
  it('an API key without an address is an error', () => {
    expect(() => loadClientConfig({ TEMPORAL_API_KEY: 'k' })).toThrow(/^TEMPORAL_ADDRESS is not set/);
  });
  it('needs the codec keys, and one data converter per key set', () => {
    expect(() => loadClientConfig({})).toThrow(/^INBOX_AGENT_CODEC_KEYS is not set/);
    expect(loadClientConfig(codecOnly).dataConverter).toBe(loadClientConfig(codecOnly).dataConverter);
  });
});
