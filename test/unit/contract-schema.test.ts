import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderContractSchemas, schemasDir } from '../../scripts/schemas.js';
import { SweepInputSchema, SweepStatusSchema } from '../../workflows/contract.schema.js';

describe('the published contract', () => {
  it('docs/schemas/ holds exactly what the zod schemas generate (npm run schemas rewrites it)', () => {
    const generated = renderContractSchemas();
    const onDisk = Object.fromEntries(
      readdirSync(schemasDir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => [f, readFileSync(schemasDir + f, 'utf8')]),
    );
    expect(onDisk).toEqual(generated);
  });

  it.each([
    [{ identifier: 'user-1' }, true],
    [{ identifier: 'user-1', reauthTimeout: '7 days', sessionTimeout: 60_000 }, true],
    [{ identifier: 'jane@example.com' }, false],
    [{ identifier: 'user-1', reauthTimout: '1h' }, false],
    [{ identifier: 'user-1', sessionTimeout: -5 }, false],
    [{}, false],
  ])('sweep input %j valid: %s', (input, valid) => {
    expect(SweepInputSchema.safeParse(input).success).toBe(valid);
  });

  it('status answers carry a phase from the closed set', () => {
    const status = {
      identifier: 'u',
      phase: 'awaiting_reauthorization',
      inactiveConnections: [],
      authLinks: [],
      reauthSignals: 0,
    };
    expect(SweepStatusSchema.safeParse(status).success).toBe(true);
    expect(SweepStatusSchema.safeParse({ ...status, phase: 'sleeping' }).success).toBe(false);
  });
});
