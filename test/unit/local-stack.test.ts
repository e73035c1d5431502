import { statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeSources, loadLocalEnv, writeLocalStack } from '../../common/local-stack.js';

describe('the CLI finds the local stack npm start wrote', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-stack-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads <state dir>/.env.local (0600) over .env, and explicit variables over both', async () => {
    const state = join(dir, 'state');
    writeFileSync(
      join(dir, '.env'),
      `INBOX_AGENT_STATE_DIR=${state}\nTEMPORAL_NAMESPACE=from-dotenv\nINBOX_AGENT_TASK_QUEUE=q\n`,
    );
    await mkdir(state);
    await writeLocalStack({
      INBOX_AGENT_STATE_DIR: state,
      TEMPORAL_ADDRESS: '127.0.0.1:17233',
      TEMPORAL_NAMESPACE: 'default',
      INBOX_AGENT_CODEC_KEYS: 'k1:abc',
    });
    expect(statSync(join(state, '.env.local')).mode & 0o777).toBe(0o600);

    const found = loadLocalEnv({ TEMPORAL_ADDRESS: 'explicit:7233' }, dir);
    expect(found.env).toMatchObject({
      TEMPORAL_ADDRESS: 'explicit:7233',
      TEMPORAL_NAMESPACE: 'default',
      INBOX_AGENT_CODEC_KEYS: 'k1:abc',
      INBOX_AGENT_TASK_QUEUE: 'q',
    });
    // Names and files only: values may be secrets.
    expect(describeSources(found.sources)).toEqual([
      'TEMPORAL_ADDRESS from environment',
      `INBOX_AGENT_CODEC_KEYS, TEMPORAL_NAMESPACE from state/.env.local (written by npm start, pid ${process.pid}, running)`,
      'INBOX_AGENT_STATE_DIR, INBOX_AGENT_TASK_QUEUE from .env',
    ]);
  });

  it('with no stack and no .env, the environment alone', () => {
    const found = loadLocalEnv({ INBOX_AGENT_STATE_DIR: join(dir, 'none') }, dir);
    expect(found.env).toEqual({ INBOX_AGENT_STATE_DIR: join(dir, 'none') });
  });
});
