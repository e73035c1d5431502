import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spreadOffsetMs } from '../client/index.js';
import { scheduleId } from '../workflows/contract.js';
import { jsonLines, node } from './helpers/cli.js';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';
import { waitForStatus } from './helpers/wait.js';

describe('operator CLI', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  const cli = (...args: string[]) => node('client/cli.ts', args, env);

  beforeAll(async () => {
    stack = await startTestStack('cli');
    await stack.startWorker();
    // Only Temporal settings: the CLI never needs Scalekit or Anthropic credentials.
    env = stack.clientEnv;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('setup, twice, reports the same ids', async () => {
    const first = await cli('--json', 'setup');
    expect(first.code, first.stderr).toBe(0);
    const second = await cli('--json', 'setup');
    expect(JSON.parse(second.stdout)).toMatchObject({
      mcpConfigId: JSON.parse(first.stdout).mcpConfigId,
      agentId: JSON.parse(first.stdout).agentId,
      created: { mcpConfig: false, agent: false, agentUpdated: false },
    });
    const human = await cli('setup');
    expect(human.stdout).toMatch(/Virtual MCP config cfg_\S+ \(unchanged\)/);
  });

  it('sweep --wait (not a terminal: JSON lines) follows the sweep to its report; no secret reaches the output', async () => {
    const identifier = seedUser(stack);
    const result = await cli('sweep', identifier, '--wait');
    expect(result.code).toBe(0);
    const events = jsonLines<{ event: string; phase?: string; report?: { toolCalls?: string[] } }>(result.stdout);
    expect(events[0]).toMatchObject({ event: 'started', identifier });
    expect(events.filter((e) => e.event === 'phase').length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({
      event: 'outcome',
      outcome: 'completed',
      report: { identifier, session: { toolCalls: expect.arrayContaining(['googlecalendar_create_event']) } },
    });
    const token = stack.emulators.agents.vaults().find((v) => v.metadata.inbox_agent_identifier === identifier)!
      .credentials[0]!.token;
    for (const secret of [token, stack.emulators.agents.apiKey, stack.emulators.scalekit.clientSecret]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });

  it('auth-links, sweep, status and reauthorized walk a user through re-authorization', async () => {
    const identifier = seedUser(stack, { gmail: 'EXPIRED' });
    const links = await cli('auth-links', identifier);
    expect(links.code).toBe(0);
    expect(links.stdout).toMatch(/✗ gmail: EXPIRED\n\s+authorize: http:\/\/127\.0\.0\.1:\d+\/magic\//);
    expect(links.stdout).toMatch(/✓ googlecalendar: ACTIVE/);

    const started = await cli('--json', 'sweep', identifier, '--reauth-timeout', '10m');
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
    await waitForStatus(
      stack.temporal.client.workflow.getHandle(workflowId),
      (s) => s.phase === 'awaiting_reauthorization',
    );

    const status = await cli('status', identifier, '--workflow-id', workflowId);
    expect(status.stdout).toContain(`${workflowId}: awaiting reauthorization`);
    expect(status.stdout).toMatch(/gmail: http:\/\/127\.0\.0\.1:\d+\/magic\//);

    stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
    const signalled = await cli('reauthorized', identifier, '--workflow-id', workflowId);
    expect(signalled.stdout).toBe(`signalled ${workflowId}\n`);
    const report = await stack.temporal.client.workflow.getHandle(workflowId).result();
    expect(report.outcome).toBe('completed');
  });

  it('schedule and unschedule manage the per-user Temporal Schedule', async () => {
    const identifier = seedUser(stack);
    const created = await cli('schedule', identifier, '--every', '1h', '--paused');
    expect(created.code).toBe(0);
    const described = await stack.temporal.client.schedule.getHandle(scheduleId(identifier)).describe();
    expect(described.state.paused).toBe(true);
    expect(described.spec.intervals?.[0]?.offset).toBe(spreadOffsetMs(identifier, 3600_000));
    expect(described.action).toMatchObject({ workflowType: 'inboxSweep', taskQueue: stack.taskQueue });
    expect((await cli('unschedule', identifier)).stdout).toBe('schedule deleted\n');
    // Like describe, pause and trigger: a schedule that is not there is a usage error.
    const again = await cli('schedule', 'delete', identifier);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`inbox-agent: ${identifier} has no schedule\n`);
  });

  it.each([
    [['sweep', 'jane@example.com'], /invalid identifier "jane@example.com"/],
    [['sweep'], /missing required argument 'identifier'/],
    [['launch'], /unknown command 'launch'/],
    [['sweep', 'u1', '--reauth-timeout', 'soon'], /invalid --reauth-timeout "soon"/],
    [['sweep', 'u1', '--request-id', 'jane@example.com'], /invalid request id "jane@example.com"/],
    [['sweep', 'u1', '--reauth-timeout', '31d'], /invalid --reauth-timeout "31d": at most 30 days/],
    [['sweep', 'u1', '--session-timeout', '2d'], /invalid --session-timeout "2d": at most 23 hours/],
    [['schedule', 'u1'], /give exactly one of --every or --cron/],
    // Scalekit refuses identifiers over 100 characters when it makes a link or lists accounts.
    [['sweep', `u${'x'.repeat(100)}`], /invalid identifier "ux+…": expected an opaque user ID: 1-100 /],
    [['status', 'u1', '--bogus'], /unknown option '--bogus'/],
    [
      ['schedule'],
      /^inbox-agent: schedule needs an identifier \(schedule <identifier> --every 1h\) or one of: set, list/,
    ],
    [['schedule', 'frob', 'demo-alice'], /^inbox-agent: unknown schedule command "frob": expected one of set, list/],
    [['schedule', 'u1', '--every', '0s'], /^inbox-agent: invalid --every "0s": must be longer than zero$/m],
    [['sweep', 'x'.repeat(300)], /^inbox-agent: invalid identifier "x{79}…": expected/],
    [['schedule', 'u1', '--cron', 'nonsense'], /^inbox-agent: invalid schedule: --cron "nonsense": expected 5 fields/],
    [['schedule', 'u1', '--cron', '61 * * * *'], /^inbox-agent: invalid schedule: --cron "61 \* \* \* \*": .*0-59/],
  ])('bad input %j: one line, exit 2', async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('a --workflow-id of another user: one line, exit 2, nothing signalled', async () => {
    await stack.inbox.setup();
    const alice = seedUser(stack, { gmail: 'EXPIRED' });
    const handle = await stack.inbox.startSweep(alice);
    await waitForStatus(handle, (s) => s.phase === 'awaiting_reauthorization');
    for (const command of ['status', 'reauthorized']) {
      const result = await cli(command, 'someone-else', '--workflow-id', handle.workflowId);
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe(
        `inbox-agent: --workflow-id "${handle.workflowId}" is not a sweep of someone-else`,
      );
      expect(result.stdout).toBe('');
    }
    expect((await stack.inbox.status(alice, handle.workflowId))[0]?.status.reauthSignals).toBe(0);
    await handle.terminate('test done');
  });

  it('missing configuration: one line naming the variable, exit 2, nothing started', async () => {
    const before = stack.emulators.agents.sessions().length;
    const cliResult = await node('client/cli.ts', ['sweep', 'u1'], { TEMPORAL_API_KEY: 'k' });
    expect(cliResult.code).toBe(2);
    expect(cliResult.stderr.trim()).toMatch(/^inbox-agent: TEMPORAL_ADDRESS is not set/);

    // Every problem at once, one line each: a new deployment finds all it lacks in one run.
    const empty = await node('worker/main.ts', [], {});
    expect(empty.code).toBe(2);
    const lines = empty.stderr.trim().split('\n');
    expect(lines.map((l) => /^inbox-agent worker: (\w+) is not set\b.*\(see \.env\.example\)$/.exec(l)?.[1])).toEqual([
      'SCALEKIT_ENV_URL',
      'SCALEKIT_CLIENT_ID',
      'SCALEKIT_CLIENT_SECRET',
      'ANTHROPIC_API_KEY',
      'ANTHROPIC_ENVIRONMENT_ID',
      'INBOX_AGENT_CODEC_KEYS',
      'INBOX_AGENT_SEAL_KEYS',
      'INBOX_AGENT_CALLBACK_URL',
    ]);
    const unreachable = await node('worker/main.ts', [], { ...stack.workerEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim()).toMatch(
      /^inbox-agent worker: cannot reach Temporal at 127\.0\.0\.1:1 \(connection refused\); is the server running/,
    );
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);

    const worker = await node('worker/main.ts', [], { ...stack.workerEnv, SCALEKIT_CLIENT_SECRET: undefined });
    expect(worker.code).toBe(2);
    expect(worker.stderr.trim()).toBe('inbox-agent worker: SCALEKIT_CLIENT_SECRET is not set (see .env.example)');
    const badKey = await node('worker/main.ts', [], { ...stack.workerEnv, INBOX_AGENT_CODEC_KEYS: 'k1:short' });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/INBOX_AGENT_CODEC_KEYS key "k1" is not 32 bytes/);
    // Scalekit's production mode (custom user verification) and no consent callback: nobody could consent.
    const { INBOX_AGENT_SCALEKIT_USER_VERIFICATION: testMode, ...production } = stack.workerEnv;
    expect(testMode).toBe('dashboard');
    const noCallback = await node('worker/main.ts', [], production);
    expect(noCallback.code).toBe(2);
    expect(noCallback.stderr.trim().split('\n')).toHaveLength(1);
    expect(noCallback.stderr).toMatch(
      /^inbox-agent worker: INBOX_AGENT_CALLBACK_URL is not set: Scalekit's custom user verification .*INBOX_AGENT_SCALEKIT_USER_VERIFICATION=dashboard/,
    );
    expect(stack.emulators.agents.sessions().length).toBe(before);
  });
});
