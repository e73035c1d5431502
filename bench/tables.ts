/**
 * How `npm run bench` prints its figures: aligned tables of exactly what it writes to results.json,
 * nothing computed here but ratios of those figures. Printing only: the measuring is bench/run.ts's.
 */

interface PerSweepCalls {
  scalekit: number;
  mcp: number;
  anthropic: number;
  sessions: number;
  vaultWrites: number;
}

interface FleetFigures {
  users: number;
  wallMs: number;
  sweepsPerSecond: number;
  workerCpuSecondsPerSweep: number;
  workerPeakRssMiB: number;
  outcomes: Record<string, number>;
  perSweep: PerSweepCalls;
  criticalPathMs?: number;
  targetWallMs?: number;
}

interface TaxFigures {
  stepMs?: number;
  workerP50Ms: number;
  workerP99Ms: number;
  plainP50Ms: number;
  plainP99Ms: number;
  ratioP50: number;
  ratioP99: number;
}

interface HistoryCost {
  actions: number;
  events: number;
}

/** The parts of bench/results.json the tables show; a section is missing when its step did not run. */
export interface BenchFigures {
  date: string;
  machine: { cpus: number; cpuModel?: string; memoryGiB: number };
  worker: string;
  options: { latencyMs: number; stepMs: number };
  durabilityTax?: TaxFigures;
  /** The same with the emulated agent answering at once (0 ms per step): the overhead alone. */
  durabilityTaxHarsh?: TaxFigures;
  fleet?: FleetFigures;
  idleFleet?: FleetFigures;
  /** The same users' schedules triggered with nothing new: each tick's ticket looks and ends. */
  idleTicks?: {
    users: number;
    wallMs: number;
    ticksPerSecond: number;
    workerCpuSecondsPerTick: number;
    outcomes: Record<string, number>;
  };
  /** Per sweep; the `…Tick` ones are a scheduled tick's every workflow plus the schedule's own actions. */
  temporalCostPerSweep?: Partial<
    Record<'oneNewEmail' | 'idle' | 'reauthorizedOnce' | 'idleTick' | 'oneNewEmailTick', HistoryCost>
  >;
  schedules?: {
    created: number;
    creationSeconds: number;
    perSecond: number;
    withNextTime: number;
    maxMinuteBucketOverMean: number;
    deletionSeconds: number;
  };
  capacity?: {
    assumptions: string;
    cpuSecondsPerSweep: number;
    actionsPerSweep: number;
    usersPerWorkerProcess: number;
    usersPerNamespace: number;
    limitsFirst: string;
  };
}

/**
 * A Markdown table, columns padded to one width, so it reads aligned in a terminal and pastes into
 * docs/benchmarks.md as it is. Hand-rolled in a few lines: `console.table` draws box characters and
 * an index column, which neither reads as the docs' tables nor pastes into them.
 */
export function markdownTable(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

const outcomes = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** Every table of a run, with a line under each figure that would otherwise read as a failure. */
export function benchTables(r: BenchFigures): string {
  const parts: string[] = [
    `inbox-agent bench, ${r.date}: ${r.machine.cpus} cores (${r.machine.cpuModel ?? '?'}), ${r.machine.memoryGiB} GiB; ` +
      `worker ${r.worker}; ${r.options.latencyMs} ms per API call, ${r.options.stepMs} ms per agent step`,
  ];
  const rows: Array<[string, string, string]> = [];
  const taxRows = (tax: TaxFigures | undefined, label: string, target: string) => {
    if (!tax) return;
    rows.push(
      [
        `durability tax${label}, p50 (worker / plain script)`,
        `${tax.workerP50Ms} ms / ${tax.plainP50Ms} ms = ${tax.ratioP50}`,
        target,
      ],
      [`durability tax${label}, p99`, `${tax.workerP99Ms} ms / ${tax.plainP99Ms} ms = ${tax.ratioP99}`, ''],
    );
  };
  taxRows(r.durabilityTaxHarsh, ', agent answering at once', '≤ 1.3');
  taxRows(
    r.durabilityTax,
    r.durabilityTaxHarsh ? `, ${r.options.stepMs} ms agent steps` : '',
    r.durabilityTaxHarsh ? '≤ 1.05' : '≤ 1.3',
  );
  const { fleet, idleFleet: idle, schedules } = r;
  if (fleet) {
    rows.push(
      [
        `fleet of ${fleet.users}: wall time`,
        `${(fleet.wallMs / 1000).toFixed(1)} s${fleet.criticalPathMs ? ` (critical path ${(fleet.criticalPathMs / 1000).toFixed(1)} s)` : ''}`,
        fleet.targetWallMs ? `≤ ${(fleet.targetWallMs / 1000).toFixed(1)} s` : '',
      ],
      [
        'fleet: sweeps/s, worker CPU-s per sweep',
        `${fleet.sweepsPerSecond}, ${fleet.workerCpuSecondsPerSweep}`,
        '≤ 0.03 CPU-s',
      ],
      ['fleet: worker peak RSS', `${fleet.workerPeakRssMiB} MiB`, '≤ 400 MB'],
      ['fleet: outcomes', outcomes(fleet.outcomes), '0 failures'],
    );
  }
  if (idle) {
    rows.push([
      'idle fleet (started directly): sweeps/s, worker CPU-s per sweep',
      `${idle.sweepsPerSecond}, ${idle.workerCpuSecondsPerSweep} (${outcomes(idle.outcomes)})`,
      '≤ 0.01 CPU-s',
    ]);
  }
  const ticks = r.idleTicks;
  if (ticks) {
    rows.push([
      `idle scheduled ticks (${ticks.users}): ticks/s, worker CPU-s per tick`,
      `${ticks.ticksPerSecond}, ${ticks.workerCpuSecondsPerTick} (${outcomes(ticks.outcomes)})`,
      '≤ 0.01 CPU-s',
    ]);
  }
  if (schedules) {
    rows.push(
      [
        `schedules: ${schedules.created} created`,
        `${schedules.creationSeconds} s (${schedules.perSecond}/s)`,
        // The target is for the full run's 10,000.
        schedules.created === 10_000 ? '≤ 60 s' : '',
      ],
      ['schedules: listed with a next run', `${schedules.withNextTime} of ${schedules.created}`, ''],
      ['schedules: busiest minute / mean', String(schedules.maxMinuteBucketOverMean), '≤ 2'],
      ['schedules: deleted', `${schedules.deletionSeconds} s`, ''],
    );
  }
  parts.push(markdownTable(['figure', 'measured', 'target'], rows));
  if (schedules && schedules.withNextTime < schedules.created) {
    parts.push(
      `Schedules "listed with a next run" counts what the schedule list (Temporal visibility) showed right after the\n` +
        `creates: the list trails creation by seconds, so fewer than created is the listing catching up, not schedules\n` +
        `missing. The spread figure is over those listed.`,
    );
  }

  const cost = r.temporalCostPerSweep;
  const perSweepRow = (label: string, calls: PerSweepCalls | undefined, c: HistoryCost | undefined) => [
    label,
    calls?.scalekit ?? '',
    calls?.mcp ?? '',
    calls?.anthropic ?? '',
    calls?.sessions ?? '',
    calls?.vaultWrites ?? '',
    c?.actions ?? '',
    c?.events ?? '',
  ];
  if (fleet || idle || cost) {
    parts.push(
      "Per sweep (emulator counters; MCP = calls to the Virtual MCP server, the worker's and the agent's):",
      markdownTable(
        [
          'sweep',
          'Scalekit REST',
          'MCP',
          'Anthropic',
          'sessions',
          'vault writes',
          'Temporal actions',
          'history events',
        ],
        [
          perSweepRow('one new e-mail', fleet?.perSweep, cost?.oneNewEmail),
          perSweepRow('idle (nothing new)', idle?.perSweep, cost?.idle),
          perSweepRow('waits once for re-authorization', undefined, cost?.reauthorizedOnce),
          ...(cost?.idleTick
            ? [
                perSweepRow('scheduled tick, idle (every workflow + schedule)', undefined, cost.idleTick),
                perSweepRow('scheduled tick, one new e-mail (likewise)', undefined, cost.oneNewEmailTick),
              ]
            : []),
        ],
      ),
    );
  }
  const cap = r.capacity;
  if (cap) {
    parts.push(
      `Capacity (${cap.assumptions}):`,
      markdownTable(
        ['per', 'users', 'from'],
        [
          ['worker process', cap.usersPerWorkerProcess, `${cap.cpuSecondsPerSweep} CPU-s per tick (weighted)`],
          ['namespace', cap.usersPerNamespace, `${cap.actionsPerSweep} actions per tick (weighted)`],
        ],
      ),
      `What limits first: ${cap.limitsFirst}.`,
    );
  }
  return parts.join('\n\n');
}
