import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benchTables, type BenchFigures } from '../../bench/tables.js';

const figures = JSON.parse(readFileSync(new URL('../../bench/results.json', import.meta.url), 'utf8')) as BenchFigures;

describe('npm run bench prints tables', () => {
  it('aligned rows of the figures results.json holds, no inline JSON', () => {
    const text = benchTables(figures);
    const tables = text.split('\n\n').filter((block) => block.startsWith('|'));
    expect(tables).toHaveLength(3);
    // The rows carry the figures the file holds (read from it, so a new run needs no edit here).
    const fleet = figures.fleet!;
    const cost = figures.temporalCostPerSweep!;
    for (const table of tables) {
      const widths = new Set(table.split('\n').map((line) => [...line].length));
      expect(widths.size).toBe(1);
    }
    expect(text).toMatch(
      new RegExp(`\\| fleet: worker peak RSS +\\| ${fleet.workerPeakRssMiB} MiB +\\| ≤ 400 MB +\\|`),
    );
    expect(text).toMatch(
      new RegExp(
        `\\| one new e-mail +\\| ${fleet.perSweep.scalekit} +\\| ${fleet.perSweep.mcp} +\\| ${fleet.perSweep.anthropic} +` +
          `\\| ${fleet.perSweep.sessions} +\\| ${fleet.perSweep.vaultWrites} +\\| ${cost.oneNewEmail!.actions} +\\| ${cost.oneNewEmail!.events} +\\|`,
      ),
    );
    expect(text).not.toMatch(/[{}]/);
  });

  it("the README's figures are the ones results.json holds", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const cost = figures.temporalCostPerSweep!;
    const ms = (cpuSeconds: number) => Math.round(cpuSeconds * 1000);
    expect(readme).toContain(
      `${cost.idleTick!.actions} Temporal actions, ${cost.idleTick!.events} events, ` +
        `${ms(figures.idleTicks!.workerCpuSecondsPerTick)} ms worker CPU`,
    );
    expect(readme).toContain(
      `${cost.oneNewEmail!.events} events, ${ms(figures.fleet!.workerCpuSecondsPerSweep)} ms worker CPU`,
    );
    expect(readme).toContain(
      `${figures.durabilityTaxHarsh!.ratioP50} with an agent answering at once; ${figures.durabilityTax!.ratioP50} with 1 s steps`,
    );
    expect(readme).toContain(`${figures.fleet!.workerPeakRssMiB} MiB peak RSS`);
  });

  it('explains schedules listed fewer than created instead of leaving it to read as a failure', () => {
    const text = benchTables({ ...figures, schedules: { ...figures.schedules!, created: 200, withNextTime: 172 } });
    expect(text).toContain('172 of 200');
    expect(text).toMatch(/the list trails creation by seconds/);
    const all = { ...figures.schedules!, created: 200, withNextTime: 200 };
    expect(benchTables({ ...figures, schedules: all })).not.toMatch(/trails creation/);
  });
});
