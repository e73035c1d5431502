import { describe, expect, it } from 'vitest';
import * as client from '../../client/index.js';
// @ts-expect-error The activities' shapes are internal: the client's API names the contract only.
import type { SealedSecret } from '../../client/index.js';
// @ts-expect-error The workflow's continue-as-new carry is internal too.
import type { SweepCarry } from '../../client/index.js';

describe('the typed client exports the contract by name', () => {
  it('the names, messages and input parser a caller needs; internal shapes fail typecheck above', () => {
    for (const name of ['ErrorType', 'WorkflowType', 'statusQuery', 'reauthorizedSignal', 'sweepsQuery']) {
      expect(client).toHaveProperty(name);
    }
    expect(client.parseSweepInput({ identifier: 'u-1' })).toMatchObject({ identifier: 'u-1', maxEmails: 5 });
    // Runtime values of the workflows' internals are not re-exported either.
    expect(client).not.toHaveProperty('checkSweepInput');
    expect(client).not.toHaveProperty('sweepSearchAttributes');
    const unused: Array<SealedSecret | SweepCarry> = [];
    expect(unused).toEqual([]);
  });
});
