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
  it('lists every SweepInput field, optional ones marked', () => {
    const listed = /\(schemas\/sweep-input\.json\): `\{ ([^}]+) \}`/.exec(doc)?.[1]?.split(', ');
    const fields = Object.entries(SweepInputSchema.shape).map(([name, field]) =>
      field.safeParse(undefined).success ? `${name}?` : name,
    );
    expect(listed).toEqual(fields);
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
