#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { runMain } from '../common/run-main.js';
import {
  formatConnections,
  formatLastSweep,
  formatProposals,
  formatProvision,
  formatSchedule,
  formatScheduleList,
  formatStatus,
  formatSweepList,
  formatUnschedule,
} from './format.js';
import {
  InboxAgentClient,
  InvalidInputError,
  assertIdentifier,
  assertMessageId,
  assertScheduleOptions,
  listSweepsQuery,
  sweepInput,
  SweepInputSchema,
  type SweepInput,
  type ListSweepsOptions,
  type ScheduleOptions,
  type SweepListing,
  type SweepPhase,
} from './index.js';
import { loadClientConfig } from './config.js';
import { doctorExitCode, formatDoctor, temporalRows, workerRows } from './doctor.js';
import { describeSources, loadLocalEnv } from '../common/local-stack.js';
import { temporalUnreachable } from '../common/errors.js';

/** What a user who has neither exported keys nor run `npm start` here should do. */
const NO_KEYS_HINT = 'npm start in this checkout writes it where the CLI finds it; or set it as in .env.example';
import { progressPrinter, watchSweep } from './progress.js';
import { SweepOutcomeSchema, SweepPhaseSchema } from '../workflows/contract.schema.js';

/**
 * Exit codes: 0 done, 1 failed, 2 bad usage or configuration (nothing started), 3 `sweep --wait`
 * stopped because the sweep waits for the user to re-authorize (it goes on waiting), 130 Ctrl-C
 * (the sweep goes on).
 */
export const EXIT_WAITING_FOR_USER = 3;
const EXIT_INTERRUPTED = 130;

/** The operator CLI: thin calls into the typed client, readable output, `--json` for scripts. */
const program = new Command('inbox-agent')
  .description('Operate inbox-agent sweeps on Temporal')
  .option('--json', 'print machine-readable JSON')
  .option('--verbose', 'say which Temporal, namespace and task queue this talks to, and where each setting came from')
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .showHelpAfterError(false);

let json = false;
const print = <T>(value: T, human: (v: T) => string) =>
  console.log(json ? JSON.stringify(value, null, 2) : human(value));

/**
 * Validates everything the command was given before anything connects, then runs it. Settings come
 * from the environment, then the local stack `npm start` wrote, then `.env` (common/local-stack.ts).
 */
async function withClient(validate: () => void, run: (client: InboxAgentClient) => Promise<void>): Promise<void> {
  json = Boolean(program.opts().json);
  try {
    validate();
    await connectAndRun(run);
  } catch (err) {
    throw inFlagTerms(err);
  }
}

/** The command running now (commander's `preAction` hook sets it): its flags name the client's options. */
let current: Command = program;
program.hook('preAction', (_program, action) => {
  current = action;
});

/**
 * The typed client names what it refuses by option field (`reauthTimeout`, `every`); the user typed
 * this command's flags (`--reauth-timeout`, `--every`), so its messages say those.
 */
function inFlagTerms(err: unknown): unknown {
  if (!(err instanceof InvalidInputError) || err.fields.length === 0) return err;
  let message = err.message;
  for (const field of err.fields) {
    const flag = current.options.find((o) => o.attributeName() === field)?.long;
    if (flag) message = message.replace(new RegExp(`(?<=^|[ (])${field}(?=[ :,)]|$)`, 'g'), flag);
  }
  return new InvalidInputError(message, err.fields);
}

async function connectAndRun(run: (client: InboxAgentClient) => Promise<void>): Promise<void> {
  const local = loadLocalEnv();
  const config = loadClientConfig(local.env, NO_KEYS_HINT);
  const address = config.connectionOptions.address ?? 'localhost:7233';
  if (program.opts().verbose) {
    console.error(`inbox-agent: Temporal ${address}, namespace ${config.namespace}, task queue ${config.taskQueue}`);
    for (const line of describeSources(local.sources)) console.error(`inbox-agent:   ${line}`);
  }
  const client = await InboxAgentClient.connect(config).catch((err: Error) => {
    const stack = local.sources.find((s) => s.writer && s.names.includes('TEMPORAL_ADDRESS'))?.writer;
    const check = stack
      ? stack.running
        ? `npm start (pid ${stack.pid}) should be serving it`
        : `it is the dev server of npm start, which no longer runs (pid ${stack.pid}): run npm start again`
      : 'is the server running, and is TEMPORAL_ADDRESS (or temporal.toml) right?';
    throw new Error(temporalUnreachable(address, err, check));
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
  .command('doctor')
  .description(
    'check the deployment end to end: Temporal here, credentials and services on a worker (exit 1 on a FAIL)',
  )
  .option('--identifier <identifier>', "also check this user's connections and the MCP server's tools/list")
  .option('--read', 'with --identifier: one read of the unread mail and one marker lookup through MCP')
  .action((o: { identifier?: string; read?: boolean }) =>
    withClient(
      () => {
        if (o.identifier !== undefined) assertIdentifier(o.identifier);
        if (o.read && o.identifier === undefined) throw new InvalidInputError('--read needs --identifier');
      },
      async (c) => {
        const rows = await temporalRows(c.client);
        if (rows.every((r) => r.status !== 'FAIL')) {
          rows.push(...(await workerRows(c.client, c.taskQueue, { identifier: o.identifier, read: o.read === true })));
        }
        print(rows, formatDoctor);
        process.exitCode = doctorExitCode(rows);
      },
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

/** A sweep option's help text: the schema's description of it (with its default and bounds). */
const about = (field: keyof typeof SweepInputSchema.shape): string =>
  String(SweepInputSchema.shape[field].meta()?.description ?? '');

/** `sweep`'s flags: how to follow and the request id, then sweep options named as the schema names them. */
type SweepFlags = { wait?: boolean; throughReauth?: boolean; requestId?: string } & Omit<SweepInput, 'identifier'>;

program
  .command('sweep')
  .argument('<identifier>', 'the user')
  .description('start a sweep for the user')
  .option('--wait', 'follow the sweep (live line on a terminal, JSON lines otherwise) and print its report')
  .option('--through-reauth', 'with --wait: keep following while it waits for re-authorization (else exit 3)')
  .option('--request-id <id>', 'idempotency key: the same id never starts a second sweep')
  .option('--reauth-timeout <duration>', about('reauthTimeout'))
  .option('--session-timeout <duration>', about('sessionTimeout'))
  .action((identifier: string, o: SweepFlags) => {
    // Every flag but these three is a sweep option, named as the schema names it.
    const { wait, throughReauth, requestId, ...options } = o;
    return withClient(
      () => void sweepInput(identifier, options),
      async (c) => {
        const handle = await c.startSweep(identifier, { requestId, ...options });
        if (!wait) {
          print({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId }, (v) => `started ${v.workflowId}`);
          return;
        }
        const emit = progressPrinter(json || !process.stdout.isTTY ? 'json' : 'spinner');
        const { workflowId } = handle;
        // Ctrl-C stops following, never the sweep: it is a workflow, not this process.
        process.once('SIGINT', () => {
          emit({ event: 'detached', reason: 'interrupted', workflowId });
          process.exit(EXIT_INTERRUPTED);
        });
        emit({ event: 'started', workflowId, identifier });
        const end = await watchSweep(handle, { throughReauth, onEvent: emit });
        if (end.kind === 'waiting') {
          emit({ event: 'detached', reason: 'waiting_for_user', workflowId });
          process.exitCode = EXIT_WAITING_FOR_USER;
        }
        if (end.kind === 'failed') process.exitCode = 1;
      },
    );
  });

program
  .command('list')
  .description('find sweeps by phase, outcome and age (from Temporal visibility), newest first')
  .option('--phase <phases>', `comma-separated: ${SweepPhaseSchema.options.join(', ')}`)
  .option('--outcome <outcomes>', `comma-separated: ${SweepOutcomeSchema.options.join(', ')}`)
  .option('--since <duration>', 'started within this long, e.g. 24h')
  .option('--running', 'only running sweeps')
  .option('--limit <n>', 'at most this many (default 50)', '50')
  .option('--page-size <n>', 'how many to fetch per request (default 100)', '100')
  .option('--page-token <token>', 'continue where a previous list stopped')
  .action(
    (o: {
      phase?: string;
      outcome?: string;
      since?: string;
      running?: boolean;
      limit: string;
      pageSize: string;
      pageToken?: string;
    }) => {
      const split = (v?: string) =>
        v
          ?.split(',')
          .map((x) => x.trim())
          .filter(Boolean);
      const options: ListSweepsOptions = {
        phase: split(o.phase) as SweepPhase[] | undefined,
        outcome: split(o.outcome),
        since: o.since,
        running: o.running ? true : undefined,
        pageSize: positive('--page-size', o.pageSize),
        pageToken: o.pageToken,
      };
      const limit = positive('--limit', o.limit);
      return withClient(
        () => {
          for (const p of options.phase ?? []) oneOf('--phase', p, SweepPhaseSchema.options);
          for (const v of options.outcome ?? []) oneOf('--outcome', v, SweepOutcomeSchema.options);
          listSweepsQuery(options);
        },
        async (c) => {
          const sweeps: SweepListing[] = [];
          let pageToken = options.pageToken;
          do {
            const page = await c.listSweeps({
              ...options,
              pageToken,
              pageSize: Math.min(options.pageSize!, limit - sweeps.length),
            });
            sweeps.push(...page.sweeps);
            pageToken = page.nextPageToken;
          } while (pageToken && sweeps.length < limit);
          print({ sweeps, ...(pageToken ? { nextPageToken: pageToken } : {}) }, formatSweepList);
        },
      );
    },
  );

program
  .command('status')
  .argument('<identifier>', 'the user')
  .option('--workflow-id <id>', 'one sweep instead of all running ones')
  .description(
    "show the phase, auth links and session progress of the user's running sweeps, or how the last one ended",
  )
  .action((identifier: string, o: { workflowId?: string }) =>
    withClient(
      () => assertIdentifier(identifier),
      async (c) => {
        const sweeps = await c.status(identifier, o.workflowId);
        // --json keeps its shape (the running sweeps); people also see how the last one ended.
        const last = sweeps.length || json ? undefined : await c.lastSweep(identifier);
        print(sweeps, (all) =>
          all.length
            ? all.map((s) => formatStatus(s.workflowId, s.status)).join('\n')
            : formatLastSweep(identifier, last),
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
  .command('retry')
  .argument('<identifier>', 'the user')
  .argument('<messageId>', 'a message set aside (gave_up) after three sessions did not handle it')
  .description('put a message set aside (gave_up) back in the queue: the next sweep tries it again')
  .action((identifier: string, messageId: string) =>
    withClient(
      () => {
        assertIdentifier(identifier);
        assertMessageId(messageId);
      },
      async (c) => {
        const back = await c.retry(identifier, messageId);
        print({ identifier, messageId, retried: back }, (r) =>
          r.retried
            ? `${messageId} is back in the queue of ${identifier}: the next sweep tries it again`
            : `${messageId} is not set aside for ${identifier}: nothing to retry`,
        );
        if (!back) process.exitCode = 1;
      },
    ),
  );

program
  .command('user')
  .argument('<identifier>', 'the user')
  .addOption(
    new Option('--approval <mode>', 'auto: the worker books allowed events; ask: the user approves each').choices([
      'auto',
      'ask',
    ]),
  )
  .description("show the user's settings, or change the approval mode (stored with the user's state)")
  .action((identifier: string, o: { approval?: 'auto' | 'ask' }) =>
    withClient(
      () => assertIdentifier(identifier),
      async (c) => print(await c.userSettings(identifier, o), (v) => `${v.identifier}: approval mode ${v.approval}`),
    ),
  );

program
  .command('proposals')
  .argument('<identifier>', 'the user')
  .description("the events the user's running sweep proposed (approval mode ask), pending and decided")
  .action((identifier: string) =>
    withClient(
      () => assertIdentifier(identifier),
      async (c) => {
        const found = await c.proposals(identifier);
        print(found, (v) => formatProposals(identifier, v.proposals, v.deadline));
      },
    ),
  );

program
  .command('approve')
  .argument('<identifier>', 'the user')
  .argument('[ids...]', 'proposal ids (default: every pending one)')
  .option('--deny', 'deny instead of approve')
  .option('--reason <text>', 'with --deny: why (kept in the ledger)')
  .description("approve (or deny) the proposed events of the user's running sweep")
  .action((identifier: string, ids: string[], o: { deny?: boolean; reason?: string }) =>
    withClient(
      () => {
        assertIdentifier(identifier);
        if (o.reason !== undefined && !o.deny) throw new InvalidInputError('--reason goes with --deny');
      },
      async (c) => {
        const result = await c.decideProposals(identifier, {
          decision: o.deny ? 'deny' : 'approve',
          ids,
          ...(o.reason !== undefined ? { reason: o.reason } : {}),
          by: 'cli',
        });
        print(result, (v) =>
          [
            ...v.decided.map((d) => `${d.decision === 'approve' ? 'approved' : 'denied'} ${d.id}`),
            v.pending.length ? `still pending: ${v.pending.join(', ')}` : 'nothing left pending; the sweep goes on',
          ].join('\n'),
        );
      },
    ),
  );

interface ScheduleFlags {
  every?: string;
  cron?: string;
  timezone?: string;
  jitter?: string;
  catchupWindow?: string;
  spread: boolean;
  paused?: boolean;
}

const schedule = program
  .command('schedule')
  .description(
    "the users' recurring sweeps (Temporal Schedules): set, list, describe, pause, unpause, trigger, delete",
  );

const SCHEDULE_VERBS = ['set', 'list', 'describe', 'pause', 'unpause', 'trigger', 'delete'];

// `schedule <identifier> --every 1h` (the default subcommand) and `schedule set <identifier> …` are one
// command. Its arguments are checked here rather than by commander, whose messages would name `set`
// ("too many arguments for 'set'") for `schedule frob demo-alice` or a bare `schedule`.
schedule
  .command('set', { isDefault: true })
  .argument('[identifier]', 'the user')
  .allowExcessArguments()
  .description("create the user's recurring sweep, or change it in place (paused state and history stay)")
  .addOption(new Option('--every <duration>', 'run every interval, e.g. 1h').conflicts('cron'))
  .addOption(new Option('--cron <expression>', 'run on a 5-field cron line, e.g. "0 9 * * MON-FRI"'))
  .option('--timezone <tz>', 'IANA time zone for --cron')
  .option('--jitter <duration>', 'random delay added to each run')
  .option('--catchup-window <duration>', 'how late a missed run may still start (default: one interval; 1h for --cron)')
  .option('--no-spread', "with --every: don't offset this user's runs by a fixed, per-user amount")
  .option('--paused', 'pause the schedule')
  .action((identifier: string | undefined, o: ScheduleFlags, command: Command) =>
    withClient(
      () => {
        if (identifier === undefined) {
          throw new InvalidInputError(
            `schedule needs an identifier (schedule <identifier> --every 1h) or one of: ${SCHEDULE_VERBS.join(', ')}`,
          );
        }
        if (command.args.length > 1) {
          throw new InvalidInputError(
            `unknown schedule command "${identifier}": expected one of ${SCHEDULE_VERBS.join(', ')}`,
          );
        }
        assertIdentifier(identifier);
        assertScheduleOptions(o as ScheduleOptions);
      },
      async (c) => {
        await c.schedule(identifier!, o as ScheduleOptions);
        print(await c.describeSchedule(identifier!), (v) => `schedule set\n${formatSchedule(v)}`);
      },
    ),
  );

schedule
  .command('list')
  .description("every user's schedule: spec, paused, next run")
  .action(() =>
    withClient(
      () => {},
      async (c) => print(await c.listSchedules(), formatScheduleList),
    ),
  );

schedule
  .command('describe')
  .argument('<identifier>', 'the user')
  .description("the user's schedule: spec, catch-up window, paused and why, next runs, recent runs and results")
  .action((identifier: string) =>
    withClient(
      () => assertIdentifier(identifier),
      async (c) => print(await c.describeSchedule(identifier), formatSchedule),
    ),
  );

for (const [name, verb] of [
  ['pause', 'pause'],
  ['unpause', 'unpause'],
] as const) {
  schedule
    .command(name)
    .argument('<identifier>', 'the user')
    .option('--note <text>', 'why (shown by describe and in the Web UI)')
    .description(`${verb} the user's schedule; running sweeps are not affected`)
    .action((identifier: string, o: { note?: string }) =>
      withClient(
        () => assertIdentifier(identifier),
        async (c) => {
          await (name === 'pause' ? c.pauseSchedule(identifier, o.note) : c.unpauseSchedule(identifier, o.note));
          const { paused, note } = await c.describeSchedule(identifier);
          print({ paused, note }, (v) => `schedule ${v.paused ? 'paused' : 'running'}${v.note ? ` (${v.note})` : ''}`);
        },
      ),
    );
}

schedule
  .command('trigger')
  .argument('<identifier>', 'the user')
  .description("run the user's schedule now (skipped while a sweep it started still runs)")
  .action((identifier: string) =>
    withClient(
      () => assertIdentifier(identifier),
      async (c) =>
        print(await c.triggerSchedule(identifier), (v) =>
          v.running.length
            ? `triggered; ${v.running.join(', ')} is running, so the run attaches to it (no second sweep)`
            : 'triggered; the sweep starts in a moment (see schedule describe)',
        ),
    ),
  );

// A missing schedule is exit 2 here as for describe, pause, unpause and trigger: the operator named
// something that is not there.
const unscheduleAction = (identifier: string) =>
  withClient(
    () => assertIdentifier(identifier),
    async (c) => {
      const result = await c.unschedule(identifier);
      if (!result.deleted) throw new InvalidInputError(`${identifier} has no schedule`);
      print(result, formatUnschedule);
    },
  );
schedule
  .command('delete')
  .argument('<identifier>', 'the user')
  .description("delete the user's schedule; sweeps it started go on (a waiting one keeps waiting)")
  .action(unscheduleAction);
program
  .command('unschedule')
  .argument('<identifier>', 'the user')
  .description('same as schedule delete')
  .action(unscheduleAction);

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidInputError(`invalid ${name} "${value}": expected a positive whole number`);
  return n;
}

function oneOf(name: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value))
    throw new InvalidInputError(`invalid ${name} "${value}": expected one of ${allowed.join(', ')}`);
}

// No command: the help on stderr and exit 2, without the "(outputHelp)" commander reports as its error.
if (process.argv.length <= 2) {
  program.outputHelp({ error: true });
  process.exit(2);
}

runMain('inbox-agent', async () => void (await program.parseAsync(process.argv)), {
  exitCode: (err) =>
    err instanceof CommanderError ? (err.exitCode === 0 ? 0 : 2) : err instanceof InvalidInputError ? 2 : undefined,
});
