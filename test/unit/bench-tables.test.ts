import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benchTables, type BenchFigures } from '../../bench/tables.js';

const figures = JSON.parse(readFileSync(new URL('../../bench/results.json', import.meta.url), 'utf8')) as BenchFigures;

describe('npm run bench prints tables', () => {
  it('aligned rows of the figures results.json holds, no inline JSON', () => {
    const text = benchTables(figures);
    const tables = text.split('\n\n').filter((block) => block.startsWith('|'));
    expect(tables).toHaveLength(3);
    for (const table of tables) {
      const widths = new Set(table.split('\n').map((line) => [...line].length));
      expect(widths.size).toBe(1);
    }
    expect(text).toMatch(/\| fleet: worker peak RSS +\| 2025 MiB +\| ≤ 400 MB +\|/);
    expect(text).toMatch(/\| one new e-mail +\| 2 +\| 16 +\| 19 +\| 1 +\| 2 +\| 9 +\| 43 +\|/);
    expect(text).not.toMatch(/[{}]/);
  });

  it('explains schedules listed fewer than created instead of leaving it to read as a failure', () => {
    const text = benchTables({ ...figures, schedules: { ...figures.schedules!, created: 200, withNextTime: 172 } });
    expect(text).toContain('172 of 200');
    expect(text).toMatch(/the list trails creation by seconds/);
    const all = { ...figures.schedules!, created: 200, withNextTime: 200 };
    expect(benchTables({ ...figures, schedules: all })).not.toMatch(/trails creation/);
  });
});
