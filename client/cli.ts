import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../common/errors.js';
import { formatConnections, formatProvision, formatReport, formatStatus } from './format.js';
import { InboxAgentClient, InvalidInputError, assertIdentifier, assertScheduleOptions } from './index.js';
import { loadClientConfig } from './config.js';

/** The operator CLI: thin calls into the typed client, readable output, `--json` for scripts. */
const program = new Command('inbox-agent')
  .description('Operate inbox-agent sweeps on Temporal')
  .option('--json', 'print machine-readable JSON')
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .showHelpAfterError(false);

let json = false;
const print = <T>(value: T, human: (v: T) => string) =>
  console.log(json ? JSON.stringify(value, null, 2) : human(value));

/** Validates everything the command was given before anything connects, then runs it. */
async function withClient(validate: () => void, run: (client: InboxAgentClient) => Promise<void>): Promise<void> {
  json = Boolean(program.opts().json);
  validate();
  const config = loadClientConfig();
  const client = await InboxAgentClient.connect(config).catch((err: Error) => {
    throw new Error(
      `cannot reach Temporal at ${config.connectionOptions.address ?? 'localhost:7233'}: ${err.message.split('\n')[0]}`,
    );
  });
  try {
    await run(client);
  } finally {
    await client.close();
  }
}

program
  .command('setup')
  .description('create (or confirm) the Virtual MCP config and the agent; safe to run again')
  .action(() =>
    withClient(
      () => {},
      async (c) => print(await c.setup(), formatProvision),
    ),
  );

program
  .command('auth-links')
  .argument('<identifier>', 'the user')
  .description("show the user's connections, with fresh authorization links for inactive ones")
  .action((identifier: string) =>
    withClient(
      () => assertIdentifier(identifier),
      async (c) => print(await c.authLinks(identifier), formatConnections),
    ),
  );

program
  .command('sweep')
  .argument('<identifier>', 'the user')
  .description('start a sweep for the user')
  .option('--wait', 'wait for the sweep to finish and print its report')
  .option('--request-id <id>', 'idempotency key: the same id never starts a second sweep')
  .option('--reauth-timeout <duration>', 'how long to wait for re-authorization (default 7 days)')
  .option('--session-timeout <duration>', 'the longest the agent session may run (default 1 hour)')
  .action(
    (identifier: string, o: { wait?: boolean; requestId?: string; reauthTimeout?: string; sessionTimeout?: string }) =>
      withClient(
        () => assertIdentifier(identifier),
        async (c) => {
          const handle = await c.startSweep(identifier, {
            requestId: o.requestId,
            reauthTimeout: o.reauthTimeout as never,
            sessionTimeout: o.sessionTimeout as never,
          });
          if (!o.wait) {
            print(
              { workflowId: handle.workflowId, runId: handle.firstExecutionRunId },
              (v) => `started ${v.workflowId}`,
            );
            return;
          }
          print(await handle.result(), formatReport);
        },
      ),
  );

program
  .command('status')
  .argument('<identifier>', 'the user')
  .option('--workflow-id <id>', 'one sweep instead of all running ones')
  .description("show the phase, auth links and session progress of the user's running sweeps")
  .action((identifier: string, o: { workflowId?: string }) =>
    withClient(
      () => assertIdentifier(identifier),
      async (c) => {
        const sweeps = await c.status(identifier, o.workflowId);
        print(sweeps, (all) =>
          all.length
            ? all.map((s) => formatStatus(s.workflowId, s.status)).join('\n')
            : `no running sweep for ${identifier}`,
        );
      },
    ),
  );

program
  .command('reauthorized')
  .argument('<identifier>', 'the user')
  .option('--workflow-id <id>', 'signal one sweep instead of all running ones')
  .option('--note <text>', 'recorded in the history with the signal')
  .description("tell the user's waiting sweeps that the user re-authorized, so they re-check and go on")
  .action((identifier: string, o: { workflowId?: string; note?: string }) =>
    withClient(
      () => assertIdentifier(identifier),
      async (c) => {
        const ids = await c.reauthorized(identifier, o);
        print(ids, (v) => (v.length ? `signalled ${v.join(', ')}` : `no running sweep for ${identifier}`));
      },
    ),
  );

program
  .command('schedule')
  .argument('<identifier>', 'the user')
  .description("create or replace the user's recurring sweep")
  .addOption(new Option('--every <duration>', 'run every interval, e.g. 1h').conflicts('cron'))
  .addOption(new Option('--cron <expression>', 'run on a cron expression, e.g. "0 9 * * *"'))
  .option('--timezone <tz>', 'IANA time zone for --cron')
  .option('--jitter <duration>', 'random delay added to each run')
  .option('--no-spread', "with --every: don't offset this user's runs by a fixed, per-user amount")
  .option('--paused', 'create the schedule paused')
  .action(
    (
      identifier: string,
      o: { every?: string; cron?: string; timezone?: string; jitter?: string; spread: boolean; paused?: boolean },
    ) =>
      withClient(
        () => {
          assertIdentifier(identifier);
          assertScheduleOptions(o);
        },
        async (c) => {
          const handle = await c.schedule(identifier, o);
          const next = (await handle.describe()).info.nextActionTimes[0]?.toISOString();
          print({ scheduleId: handle.scheduleId, nextRunAt: next }, (v) =>
            v.nextRunAt
              ? `schedule ${v.scheduleId} is set; next run ${v.nextRunAt}`
              : `schedule ${v.scheduleId} is set (paused)`,
          );
        },
      ),
  );

program
  .command('unschedule')
  .argument('<identifier>', 'the user')
  .description("delete the user's recurring sweep")
  .action((identifier: string) =>
    withClient(
      () => assertIdentifier(identifier),
      async (c) =>
        print({ deleted: await c.unschedule(identifier) }, (v) => (v.deleted ? 'schedule deleted' : 'no schedule')),
    ),
  );

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) process.exit(0);
    console.error(`inbox-agent: ${err.message.replace(/^error: /, '')}`);
    process.exit(2);
  }
  if (err instanceof InvalidInputError || err instanceof ConfigError) {
    console.error(`inbox-agent: ${err.message}`);
    process.exit(2);
  }
  console.error(`inbox-agent: ${(err as Error).message?.split('\n')[0] ?? String(err)}`);
  process.exit(1);
});
