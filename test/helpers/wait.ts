import { vi } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { sweepStatus } from '../../client/index.js';
import type { SweepStatus } from '../../workflows/contract.js';

/** Polls the sweep's status (the query, plus session progress from heartbeats) until the predicate holds. */
export async function waitForStatus(
  handle: WorkflowHandle,
  predicate: (status: SweepStatus) => boolean,
  timeout = 20_000,
): Promise<SweepStatus> {
  return vi.waitFor(
    async () => {
      const status = await sweepStatus(handle);
      if (!predicate(status)) throw new Error(`status not reached yet: ${JSON.stringify(status)}`);
      return status;
    },
    { timeout, interval: 100 },
  );
}

export { followMagicLink } from './magic-link.js';
