import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from './helpers/ports.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('npm start on the embedded default', () => {
  it('runs the dev server, emulators, worker and both demo sweeps', { timeout: 120_000 }, async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'inbox-agent-start-'));
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'scripts/start.ts', '--once'],
        {
          cwd: root,
          timeout: 110_000,
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            INBOX_AGENT_STATE_DIR: stateDir,
            TEMPORAL_DEV_PORT: String(await freePort()),
            TEMPORAL_DEV_UI_PORT: String(await freePort()),
            SCALEKIT_EMULATOR_PORT: '0',
            ANTHROPIC_EMULATOR_PORT: '0',
            INBOX_AGENT_CALLBACK_PORT: '0',
          },
        },
      );
      expect(stdout).toMatch(/Temporal +embedded dev server/);
      expect(stdout).toMatch(/Scalekit +emulated on http:\/\/127\.0\.0\.1:\d+/);
      expect(stdout).toMatch(/Anthropic +emulated/);
      expect(stdout).toMatch(/Sweep for demo-alice: completed/);
      expect(stdout).toContain(
        'calendar of demo-alice: "Action Required: Contract renewal: signature needed by Thursday"',
      );
      expect(stdout).toMatch(
        /inbox-sweep\/demo-bob: awaiting reauthorization \(gmail not active\)\n\s+inactive: gmail/,
      );
      expect(stdout).toMatch(/Web UI +http:\/\/127\.0\.0\.1:\d+/);
      expect(stdout).toMatch(/Callback +consent callback on http:\/\/127\.0\.0\.1:\d+/);
      // demo-bob's link leads through Scalekit's user verification back to that callback.
      expect(stdout).toMatch(/gmail: http:\/\/127\.0\.0\.1:\d+\/magic\/ml_\w+ \(made .*, expires /);
      expect(stdout).toContain('npm run cli -- reauthorized demo-bob');
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
