import { spawn, type ChildProcess } from 'node:child_process';
import { statSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { dataConverter } from '../codec/data-converter.js';
import { sweepWorkflowId, type SweepReport } from '../workflows/contract.js';
import { parseWorkerConfig } from '../worker/config.js';
import { root } from './helpers/cli.js';
import { freePort } from './helpers/ports.js';
import { consentSignedIn } from './helpers/wait.js';

/**
 * `npm start`, then every command the README's Quick start and the printed "Try next" list show, as
 * written, from a shell that exported nothing: the one setting shared with `npm start` is its state
 * directory, which stands for this checkout's `.data` (a developer's own `npm start` keeps its own).
 * `npm start`'s prestart (the install check) is left out: the test runs the script it then runs.
 */
const startScript = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } })
  .scripts.start;

/** The `npm run cli` lines of the README's Quick start section, comments dropped, in order. */
function quickStartCommands(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = /^## Quick start\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  return cliLines(section);
}

const cliLines = (text: string) =>
  [...text.matchAll(/^\s*(npm run cli -- [^#\n]*)/gm)].map((m) => m[1]!.trim()).filter(Boolean);

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves once the output matches. */
  until(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

function start(args: string[], env: Record<string, string | undefined>): Started {
  let out = '';
  const child = spawn('sh', ['-c', `${startScript} ${args.join(' ')}`], { cwd: root, env, detached: true });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    async until(pattern, timeoutMs = 150_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(out);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`npm start ${child.exitCode !== null ? 'exited' : 'timed out'} before ${pattern}:\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

/** A command line run by a shell as a user would type it; non-zero exits fail the test with its output. */
function shell(line: string, env: Record<string, string | undefined>): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`\`${line}\` exited ${code}:\n${stdout}\n${stderr}`)),
    );
  });
}

/** The magic link of a printed line such as `authorize: http://…/magic/ml_…` or `gmail: http://…`. */
const linkIn = (text: string) => /(http:\/\/127\.0\.0\.1:\d+\/magic\/ml_\w+)/.exec(text)?.[1];

/**
 * Clicks Allow as a browser would, signs in as demo-bob at the local OIDC login the callback sends the
 * browser to (as the README's comment says), and lands on the callback's "connected" page: the callback
 * has verified the user and signalled the sweep.
 */
/** The report of the user's sweep on npm start's dev server, read as the CLI would (its codec keys). */
async function sweepResult(local: Record<string, string | undefined>, identifier: string): Promise<SweepReport> {
  const client = new Client({
    connection: await Connection.connect({ address: local.TEMPORAL_ADDRESS }),
    dataConverter: dataConverter(local.INBOX_AGENT_CODEC_KEYS!),
  });
  try {
    return (await client.workflow.getHandle(sweepWorkflowId(identifier)).result()) as SweepReport;
  } finally {
    await client.connection.close();
  }
}

async function consent(link: string): Promise<void> {
  const page = await consentSignedIn(link, 'demo-bob');
  expect(page.status, `${page.url}: ${page.body.slice(0, 500)}`).toBe(200);
  expect(page.url).toMatch(/\/verify\?/);
  expect(page.body).toContain('gmail is connected again');
}

describe('npm start on the embedded default, then the README and "Try next" commands verbatim', () => {
  it(
    'every printed command works with nothing exported; a restart keeps users; --once ends with the waiting sweep',
    { timeout: 360_000 },
    async () => {
      const stateDir = await mkdtemp(join(tmpdir(), 'inbox-agent-start-'));
      const user = {
        PATH: [join(root, 'node_modules/.bin'), process.env.PATH].join(delimiter),
        HOME: process.env.HOME,
      };
      // What a user's shell has: PATH and HOME, and (standing for ./.data) the state directory.
      const shellEnv = { ...user, INBOX_AGENT_STATE_DIR: stateDir };
      const startEnv = {
        ...shellEnv,
        // A moved dev-server port: the CLI must follow it without being told.
        TEMPORAL_DEV_PORT: String(await freePort()),
        TEMPORAL_DEV_UI_PORT: String(await freePort()),
        SCALEKIT_EMULATOR_PORT: '0',
        ANTHROPIC_EMULATOR_PORT: '0',
        INBOX_AGENT_CALLBACK_PORT: '0',
      };
      let first: Started | undefined;
      let second: Started | undefined;
      try {
        first = start([], startEnv);
        await first.until(/Worker running\. Ctrl-C stops everything\./);
        const stdout = first.output();
        expect(stdout).toMatch(/Temporal +embedded dev server/);
        expect(stdout).toMatch(/Anthropic +emulated/);
        expect(stdout).toMatch(/Sweep for demo-alice: completed/);
        // The newsletter carries bulk headers and gets no event: one event, one no-action.
        expect(stdout).toContain('demo-alice: 1 event, 1 no-action');
        expect(stdout.match(/calendar of demo-alice: /g)).toHaveLength(1);
        expect(stdout).toContain(
          'calendar of demo-alice: "Action Required: Contract renewal: signature needed by Thursday"',
        );
        // The readable report never shows the agent's machine-readable block.
        expect(stdout).not.toContain('"no_action"');
        expect(stdout).toMatch(
          /inbox-sweep\/demo-bob: awaiting reauthorization \(gmail not active\)\n\s+inactive: gmail/,
        );
        expect(stdout).toMatch(/gmail: http:\/\/127\.0\.0\.1:\d+\/magic\/ml_\w+ \(made .*; expires /);
        expect(stdout).not.toMatch(/MaxListenersExceededWarning/);
        // demo-carol approves her events (approval mode ask): her sweep proposes one and waits for her.
        expect(stdout).toMatch(
          /inbox-sweep\/demo-carol: awaiting approval\n(.*\n)*\s+p-\w+ {2}pending {2}Action Required: Q3 invoice/,
        );
        expect(stdout).toContain('approval mode ask');

        // What npm start wrote for the CLI and for a compiled worker: the owner's only, and complete.
        for (const file of ['.env.local', 'worker.env'])
          expect(statSync(join(stateDir, file)).mode & 0o777).toBe(0o600);
        const local = parseEnv(readFileSync(join(stateDir, '.env.local'), 'utf8'));
        expect(local.TEMPORAL_ADDRESS).toBe(`127.0.0.1:${startEnv.TEMPORAL_DEV_PORT}`);
        const workerEnv = parseEnv(readFileSync(join(stateDir, 'worker.env'), 'utf8'));
        expect(() => parseWorkerConfig(workerEnv)).not.toThrow();
        expect(stdout).toContain(`(set -a; . ${join(stateDir, 'worker.env')}; npm run worker)`);

        // A user added over the control plane, to find again after a restart.
        const scalekitUrl = /Scalekit +emulated on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
        const added = await fetch(`${scalekitUrl}/_emulator/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            identifier: 'http-added',
            connections: { gmail: 'EXPIRED', googlecalendar: 'ACTIVE' },
            emails: [{ from: 'a@example.com', subject: 'kept', body: 'across restarts' }],
          }),
        });
        expect(added.status).toBe(204);

        // The README's Quick start, in order; between its commands, the click its comment asks for.
        const readme = quickStartCommands();
        expect(readme).toEqual(['npm run cli -- auth-links demo-bob', 'npm run cli -- status demo-bob']);
        const links = await shell(readme[0]!, shellEnv);
        expect(links.stdout).toMatch(/✗ gmail: EXPIRED/);
        await consent(linkIn(links.stdout)!);
        const bob = await sweepResult(local, 'demo-bob');
        expect(bob.outcome).toBe('completed');
        const status = await shell(readme[1]!, shellEnv);
        expect(status.stdout).toMatch(/^no running sweep for demo-bob; the last one ended \S+: completed$/m);
        expect(status.stdout).toContain('e-mails: 1 event, 0 no-action');

        // The "Try next" list, as printed.
        const tryNext = cliLines(stdout.slice(stdout.indexOf('Try next:')));
        expect(tryNext.length).toBeGreaterThanOrEqual(6);
        for (const line of tryNext) await shell(line, shellEnv);
        // Among them `approve demo-carol`: her sweep books the approved event and completes.
        expect(tryNext).toContain('npm run cli -- approve demo-carol');
        const carol = await sweepResult(local, 'demo-carol');
        expect(carol.outcome).toBe('completed');
        expect(carol.approval?.approved).toHaveLength(1);
        expect(carol.messages?.events).toHaveLength(1);
        const verbose = await shell('npm run -s cli -- --verbose list', shellEnv);
        expect(verbose.stderr).toContain(`Temporal 127.0.0.1:${startEnv.TEMPORAL_DEV_PORT}, namespace default`);
        expect(verbose.stderr).toMatch(
          /TEMPORAL_ADDRESS from \S+\.env\.local \(written by npm start, pid \d+, running\)/,
        );

        // Ctrl-C, as a terminal sends it to the whole foreground group: everything npm start ran stops.
        process.kill(-first.child.pid!, 'SIGINT');
        await first.exited;
        await vi.waitFor(() => expect(() => process.kill(-first!.child.pid!, 0)).toThrow(/ESRCH/), {
          timeout: 30_000,
          interval: 250,
        });

        // Again on the same state: the user added over HTTP is back, and --once stays for demo-bob's
        // new waiting sweep until the user consents, then ends by itself.
        second = start(['--once'], startEnv);
        await second.until(/Running until demo-bob's sweep ends/);
        expect(second.output()).toMatch(/users kept in \S+ \(4 restored\); demo users re-seeded/);
        const again = /Scalekit +emulated on (http:\/\/127\.0\.0\.1:\d+)/.exec(second.output())![1]!;
        const kept = (await (await fetch(`${again}/_emulator/users/http-added/emails`)).json()) as unknown[];
        expect(kept).toMatchObject([{ subject: 'kept' }]);
        await consent(linkIn(second.output().slice(second.output().indexOf('inbox-sweep/demo-bob')))!);
        expect(await second.exited).toBe(0);
        expect(second.output()).toMatch(/demo-bob: completed, 1 event, 0 no-action/);
      } finally {
        for (const run of [first, second]) {
          if (run && run.child.exitCode === null && run.child.signalCode === null) {
            try {
              process.kill(-run.child.pid!, 'SIGKILL');
            } catch {
              // gone between the check and the kill
            }
          }
        }
        await rm(stateDir, { recursive: true, force: true });
      }
    },
  );
});
