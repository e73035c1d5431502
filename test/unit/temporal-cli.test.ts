import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/temporal-cli', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'temporal-cli-'));

/** A stand-in binary that answers `--version` like the CLI does. */
function fakeCli(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '#!/bin/sh\necho "temporal version 0.0.0-fake"\n');
  chmodSync(path, 0o755);
  return path;
}

const find = (env: Record<string, string>) =>
  spawnSync('bash', [script], { env: { HOME: process.env.HOME ?? '/', ...env }, encoding: 'utf8' });

describe('scripts/temporal-cli', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers $TEMPORAL_CLI', () => {
    const fake = fakeCli(join(dir, 'from-env'));
    const result = find({ TEMPORAL_CLI: fake, PATH: process.env.PATH ?? '' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(fake);
  });

  it('refuses a $TEMPORAL_CLI that is not a working binary, with a message', () => {
    const result = find({ TEMPORAL_CLI: join(dir, 'missing'), PATH: process.env.PATH ?? '' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/is not a working temporal binary/);
  });

  it('then takes `temporal` from PATH', () => {
    const bin = join(dir, 'bin');
    const fake = fakeCli(join(bin, 'temporal'));
    const result = find({ PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(fake);
  });
});
