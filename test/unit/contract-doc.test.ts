import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorType } from '../../workflows/contract.js';
import { SweepInputSchema, SweepOutcomeSchema } from '../../workflows/contract.schema.js';

const doc = readFileSync(join(resolve(import.meta.dirname, '../..'), 'docs/contract.md'), 'utf8');

/** The first column of the markdown table that follows `heading`. */
function firstColumn(heading: string): string[] {
  const table = doc
    .slice(doc.indexOf(heading))
    .split('\n\n')
    .find((block) => block.startsWith('|'))!;
  return [...table.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]!);
}

describe('docs/contract.md says what the schemas say', () => {
  it('links the input schema and restates none of its fields, defaults or bounds', () => {
    const input = doc.slice(doc.indexOf('## Input'), doc.indexOf('\n## ', doc.indexOf('## Input') + 1));
    expect(input).toContain('(schemas/sweep-input.json)');
    const options = Object.keys(SweepInputSchema.shape).filter((name) => name !== 'identifier');
    expect(options.length).toBeGreaterThan(0);
    // The generated schema says these; a copy here would go stale with the next field or cap.
    expect(options.filter((name) => input.includes(name))).toEqual([]);
    expect(input).not.toMatch(/defaults? (to|is) |\(default |at most \d|\d+[–-]\d+/i);
  });

  it('lists every outcome, and only those', () => {
    expect(firstColumn('| outcome ')).toEqual(SweepOutcomeSchema.options);
  });

  it('names only failure types the code has', () => {
    const types = firstColumn('| type ');
    expect(types.length).toBeGreaterThan(0);
    expect(types.filter((t) => !Object.values<string>(ErrorType).includes(t))).toEqual([]);
  });
});
