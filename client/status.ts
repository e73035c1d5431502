import type { WorkflowHandle } from '@temporalio/client';
// Heartbeat details come raw from `describe()`; the SDK's public API has no decoder that runs the
// client's payload codec on them.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { SESSION_ACTIVITY, statusQuery, type SweepStatus } from '../workflows/contract.js';
import type { SessionProgress } from '../activities/types.js';

/**
 * The sweep's `status` query, plus the running session's progress from its activity's last heartbeat
 * (what `describe()` shows of pending activities): progress costs no history event, however long
 * the session runs. Decoded with the handle's client's data converter, so a payload codec applies.
 */
export async function sweepStatus(handle: WorkflowHandle): Promise<SweepStatus> {
  const [status, described] = await Promise.all([handle.query(statusQuery), handle.describe()]);
  if (status.phase !== 'running_session') return status;
  const session = described.raw.pendingActivities?.find((a) => a.activityType?.name === SESSION_ACTIVITY);
  const payloads = session?.heartbeatDetails?.payloads;
  if (!payloads?.length) return status;
  const progress = await decodeFromPayloadsAtIndex<SessionProgress | undefined>(
    handle.client.options.loadedDataConverter,
    0,
    payloads,
  );
  if (!progress?.sessionId) return status;
  const { eventsSeen, lastEventId, toolCalls, toolDecisions: running = [] } = progress;
  // The workflow's list holds the sweep's earlier sessions; the running one's come from its heartbeat.
  const toolDecisions = [...(status.toolDecisions ?? []), ...running];
  return {
    ...status,
    ...(toolDecisions.length > 0 ? { toolDecisions } : {}),
    sessionId: progress.sessionId,
    progress: {
      eventsSeen,
      ...(lastEventId ? { lastEventId } : {}),
      ...(toolCalls !== undefined ? { toolCalls } : {}),
    },
  };
}
