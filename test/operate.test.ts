import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ScheduleView, SweepListing } from '../client/index.js';
import { scheduleId, statusQuery, sweepWorkflowId } from '../workflows/contract.js';
import { jsonLines, node, root } from './helpers/cli.js';
import { seedUser } from './helpers/demo.js';
import { startTestStack, type TestStack } from './helpers/stack.js';

/** The operator's view: progress of a sweep, finding users by state, schedules under full control. */
describe('operating inbox-agent from the CLI', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  const cli = (...args: string[]) => node('client/cli.ts', args, env);
  const started: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack('operate');
    await stack.startWorker();
    await stack.inbox.setup();
    env = stack.clientEnv;
  });
  afterAll(async () => {
    // Waiting sweeps would wait for 10 minutes on a server other test files share.
    await Promise.all(
      started.map((id) =>
        stack.temporal.client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => {}),
      ),
    );
    await stack?.close();
  });

  describe('sweep --wait', () => {
    it('--json: one object per change, from the start to the outcome', async () => {
      const identifier = seedUser(stack);
      const result = await cli('--json', 'sweep', identifier, '--wait');
      expect(result.code, result.stderr).toBe(0);
      const events = jsonLines(result.stdout);
      expect(events[0]).toMatchObject({ event: 'started', identifier });
      expect(events.at(-1)).toMatchObject({ event: 'outcome', outcome: 'completed', report: { identifier } });
      // Every line is a change: no two neighbours repeat.
      for (let i = 1; i < events.length; i++) expect(events[i]).not.toEqual(events[i - 1]);
      expect(stack.emulators.scalekit.calendarEvents(identifier)).toHaveLength(1);
    });

    it('a sweep that starts waiting for the user: links and deadline, exit 3, and the sweep goes on', async () => {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      const result = await cli('sweep', identifier, '--wait', '--reauth-timeout', '10m');
      expect(result.code, result.stderr).toBe(3);
      const events = jsonLines<{ event: string; workflowId?: string }>(result.stdout);
      expect(events).toContainEqual(
        expect.objectContaining({
          event: 'waiting',
          inactiveConnections: ['gmail'],
          authLinks: [expect.objectContaining({ connection: 'gmail', url: expect.stringMatching(/\/magic\//) })],
          reauthDeadline: expect.any(String),
        }),
      );
      const detached = events.at(-1)!;
      expect(detached).toMatchObject({ event: 'detached', reason: 'waiting_for_user' });
      started.push(detached.workflowId!);
      const handle = stack.temporal.client.workflow.getHandle(detached.workflowId!);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect((await handle.query(statusQuery)).phase).toBe('awaiting_reauthorization');
    });

    interface Event {
      event: string;
      workflowId?: string;
      outcome?: string;
      reason?: string;
    }
    /** Runs `sweep --wait --through-reauth` and hands each JSON line to `onEvent` as it comes. */
    async function follow(identifier: string, onEvent: (e: Event, child: ChildProcess) => Promise<void> | void) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'client/cli.ts', 'sweep', identifier, '--wait', '--through-reauth'],
        { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
      );
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const events: Event[] = [];
      for await (const line of createInterface({ input: child.stdout! })) {
        events.push(JSON.parse(line) as Event);
        await onEvent(events.at(-1)!, child);
      }
      return { code: await exited, events };
    }

    it('--through-reauth keeps following through the wait to the outcome', async () => {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      let workflowId = '';
      const { code, events } = await follow(identifier, async (event) => {
        if (event.event === 'started') workflowId = event.workflowId!;
        if (event.event === 'waiting') {
          stack.emulators.scalekit.setConnectionStatus(identifier, 'gmail', 'ACTIVE');
          await stack.inbox.reauthorized(identifier, { workflowId });
        }
      });
      expect(code).toBe(0);
      expect(events.map((e) => e.event)).toContain('waiting');
      expect(events.at(-1)).toMatchObject({ event: 'outcome', outcome: 'completed' });
    });

    it('Ctrl-C stops following and says the sweep goes on', async () => {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      const { code, events } = await follow(identifier, (event, child) => {
        if (event.event === 'waiting') child.kill('SIGINT');
      });
      expect(code).toBe(130);
      const detached = events.at(-1)!;
      expect(detached).toMatchObject({ event: 'detached', reason: 'interrupted' });
      started.push(detached.workflowId!);
      expect((await stack.temporal.client.workflow.getHandle(detached.workflowId!).describe()).status.name).toBe(
        'RUNNING',
      );
    });
  });

  it('list finds the waiting users among many, page by page, with their inactive connections', async () => {
    const waiting = Array.from({ length: 5 }, () => seedUser(stack, { gmail: 'EXPIRED' }));
    const done = Array.from({ length: 3 }, () => seedUser(stack));
    for (const identifier of [...waiting, ...done]) {
      const handle = await stack.inbox.startSweep(identifier, { reauthTimeout: '10m' });
      started.push(handle.workflowId);
    }
    const mine = (sweeps: SweepListing[]) => sweeps.filter((s) => [...waiting, ...done].includes(s.identifier!));

    // Visibility is eventually consistent: wait until all five show as waiting (a page of 2 at a time).
    const listed = await vi.waitFor(
      async () => {
        const result = await cli(
          '--json',
          'list',
          '--phase',
          'awaiting_reauthorization',
          '--running',
          '--page-size',
          '2',
          '--limit',
          '1000',
        );
        expect(result.code, result.stderr).toBe(0);
        const { sweeps } = JSON.parse(result.stdout) as { sweeps: SweepListing[] };
        expect(
          mine(sweeps)
            .map((s) => s.identifier)
            .sort(),
        ).toEqual([...waiting].sort());
        return mine(sweeps);
      },
      { timeout: 20_000, interval: 500 },
    );
    for (const sweep of listed) {
      expect(sweep).toMatchObject({
        phase: 'awaiting_reauthorization',
        status: 'RUNNING',
        inactiveConnections: ['gmail'],
      });
      expect(Date.parse(sweep.reauthDeadline!)).toBeGreaterThan(Date.now());
    }

    // The typed client pages too: a page of 2 says where the next one starts.
    const page = await stack.inbox.listSweeps({ phase: ['awaiting_reauthorization'], pageSize: 2 });
    expect(page.sweeps).toHaveLength(2);
    expect(page.nextPageToken).toBeTruthy();
    const next = await stack.inbox.listSweeps({
      phase: ['awaiting_reauthorization'],
      pageSize: 2,
      pageToken: page.nextPageToken,
    });
    expect(next.sweeps.map((s) => s.workflowId)).not.toContain(page.sweeps[0]!.workflowId);

    // The ones that completed are found by their outcome, and a limit stops with a token to go on.
    await vi.waitFor(
      async () => {
        const result = await cli('--json', 'list', '--outcome', 'completed', '--since', '1h', '--limit', '1000');
        const { sweeps } = JSON.parse(result.stdout) as { sweeps: SweepListing[] };
        expect(
          mine(sweeps)
            .map((s) => s.identifier)
            .sort(),
        ).toEqual([...done].sort());
      },
      { timeout: 30_000, interval: 500 },
    );
    const limited = await cli('list', '--phase', 'awaiting_reauthorization', '--limit', '1', '--page-size', '1');
    expect(limited.stdout).toMatch(/awaiting reauthorization {2}since \S+ {2}\S+\n/);
    expect(limited.stdout).toMatch(/more: --page-token \S+/);

    const bad = await cli('list', '--phase', 'sleeping');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --phase "sleeping": expected one of .*awaiting_reauthorization/);
  });

  describe('schedules', () => {
    // The commands run as the CLI; most checks read through the typed client (a CLI process costs ~2 s).
    const describeJson = (identifier: string) => stack.inbox.describeSchedule(identifier);

    it('set, describe, a bad spec that changes nothing, an update in place, pause/unpause with notes, list', async () => {
      const identifier = seedUser(stack);
      const set = await cli('schedule', identifier, '--every', '1h', '--paused');
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).toMatch(/^schedule set\nSchedule inbox-sweep:\S+ of \S+: every 1h/);
      const first = JSON.parse((await cli('--json', 'schedule', 'describe', identifier)).stdout) as ScheduleView;
      expect(first).toMatchObject({ identifier, paused: true, catchupWindow: '1h', overlap: 'SKIP' });
      expect(first.spec).toMatch(/^every 1h( \(offset .+\))?$/);

      for (const args of [
        ['--cron', 'not a cron'],
        ['--cron', '61 * * * *'],
        ['--cron', '0 9 * * *', '--timezone', 'Mars/Olympus'],
      ]) {
        const bad = await cli('schedule', 'set', identifier, ...args);
        expect(bad.code, args.join(' ')).toBe(2);
        expect(bad.stderr).toMatch(/^inbox-agent: invalid schedule: /);
        expect(bad.stderr.trim().split('\n')).toHaveLength(1);
        expect(await describeJson(identifier)).toMatchObject({
          spec: first.spec,
          paused: true,
          createdAt: first.createdAt,
        });
      }

      const updated = await cli('schedule', 'set', identifier, '--cron', '0 9 * * 1-5', '--timezone', 'Europe/Berlin');
      expect(updated.code, updated.stderr).toBe(0);
      const second = await describeJson(identifier);
      // In place: same schedule (created then), still paused, the new spec and its catch-up window.
      expect(second).toMatchObject({
        spec: '0 9 * * MON-FRI',
        timezone: 'Europe/Berlin',
        paused: true,
        catchupWindow: '1h',
        createdAt: first.createdAt,
      });

      const paused = await cli('schedule', 'pause', identifier, '--note', 'user on holiday');
      expect(paused.stdout).toBe('schedule paused (user on holiday)\n');
      expect(await describeJson(identifier)).toMatchObject({ paused: true, note: 'user on holiday' });
      const resumed = await cli('--json', 'schedule', 'unpause', identifier, '--note', 'back');
      expect(JSON.parse(resumed.stdout)).toEqual({ paused: false, note: 'back' });
      expect((await describeJson(identifier)).nextRuns.length).toBeGreaterThan(0);

      const custom = await cli('schedule', 'set', identifier, '--every', '15m', '--catchup-window', '5m');
      expect(custom.code).toBe(0);
      expect(await describeJson(identifier)).toMatchObject({ catchupWindow: '5m', paused: false, note: 'back' });

      const list = await cli('--json', 'schedule', 'list');
      const listed = (JSON.parse(list.stdout) as ScheduleView[]).find((s) => s.identifier === identifier);
      expect(listed).toMatchObject({ scheduleId: scheduleId(identifier), paused: false });
      expect(listed!.spec).toMatch(/^every 15m/);
      expect(await stack.inbox.unschedule(identifier)).toEqual({ deleted: true, stillRunning: [] });
    });

    it('trigger runs a sweep now; a second trigger attaches to it; describe names it; delete says it goes on', async () => {
      const identifier = seedUser(stack, { gmail: 'EXPIRED' });
      expect((await cli('schedule', identifier, '--every', '1d', '--paused')).code).toBe(0);
      const triggered = await cli('schedule', 'trigger', identifier);
      expect(triggered.stdout).toMatch(/^triggered/);
      const running = await vi.waitFor(
        async () => {
          const view = await describeJson(identifier);
          expect(view.running).toHaveLength(1);
          return view.running[0]!;
        },
        { timeout: 10_000, interval: 200 },
      );
      started.push(running);
      await vi.waitFor(
        async () =>
          expect((await stack.temporal.client.workflow.getHandle(running).query(statusQuery)).phase).toBe(
            'awaiting_reauthorization',
          ),
        { timeout: 10_000, interval: 200 },
      );
      expect(running).toBe(sweepWorkflowId(identifier));
      const again = await cli('--json', 'schedule', 'trigger', identifier);
      expect(JSON.parse(again.stdout)).toEqual({ running: [running] });

      // Both runs of the schedule name the one sweep: the second attached to it.
      await vi.waitFor(
        async () => {
          const described = await describeJson(identifier);
          expect(described.actionsTaken).toBe(2);
          expect(described.recentRuns).toHaveLength(2);
          for (const run of described.recentRuns) expect(run).toMatchObject({ workflowId: running, status: 'RUNNING' });
        },
        { timeout: 10_000, interval: 200 },
      );
      expect(await stack.inbox.runningSweeps(identifier)).toEqual([running]);

      const deleted = await cli('unschedule', identifier);
      expect(deleted.code).toBe(0);
      expect(deleted.stdout).toMatch(
        new RegExp(
          `^schedule deleted\\n  ${running} goes on \\(awaiting reauthorization; it waits until \\S+ or a reauthorized signal\\)\\n$`,
        ),
      );
      expect((await stack.temporal.client.workflow.getHandle(running).describe()).status.name).toBe('RUNNING');
      const gone = await cli('schedule', 'describe', identifier);
      expect(gone.code).toBe(2);
      expect(gone.stderr).toMatch(/has no schedule/);
    });
  });
});
