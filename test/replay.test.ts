import { readdirSync, readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { sweepWorkflowId } from '../workflows/contract.js';
import { workflowBundle } from './helpers/bundle.js';

/**
 * A sweep running while a new worker version deploys is replayed by the new code. These histories were
 * recorded by earlier code (named by its commit; test/record-histories.test.ts records them), so they
 * must replay on this code without a determinism error: a change to the sweep's commands lands behind
 * `patched` (workflows/inbox-sweep.ts), and this test fails when one does not. They cover the common
 * paths only (a sweep with one new e-mail, an idle one, on the plain bundle); tickets, consent waits,
 * approvals and continue-as-new are not recorded here. Record new ones on the commit before such a
 * change, and drop old ones only with the patches they exercise.
 */
const dir = new URL('fixtures/histories/', import.meta.url);
const recorded = readdirSync(dir).filter((f) => f.endsWith('.binpb'));

describe('histories recorded by earlier workers replay on this one', () => {
  it('has histories to replay', () => expect(recorded.length).toBeGreaterThan(0));
  it.each(recorded)(
    '%s',
    async (file) => {
      const history = temporal.api.history.v1.History.decode(readFileSync(new URL(file, dir)));
      // Histories hold no workflow id, and a sweep's must name its user (`inbox-sweep/<identifier>`).
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      const { identifier } = JSON.parse(Buffer.from(input.data!).toString()) as { identifier: string };
      // runReplayHistory throws a DeterminismViolationError (or the workflow's own failure) on a mismatch.
      await expect(
        Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, sweepWorkflowId(identifier)),
      ).resolves.toBeUndefined();
    },
    60_000,
  );
});
