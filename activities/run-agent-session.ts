import { Context } from '@temporalio/activity';
import type {
  AgentSessionInput,
  AgentSessionSummary,
  EndAgentSessionInput,
  SessionProgress,
} from '../workflows/contract.js';
import type { ManagedAgentsPort } from './apis/managed-agents.js';
import { SESSION_OWNER_KEYS, type Session } from './apis/managed-agents.wire.js';
import type { ActivityDeps } from './deps.js';
import { IDENTIFIER_METADATA_KEY } from './definitions.js';
import { openBatch } from './inbox-ledger.js';
import type { Provisioning } from './provisioning.js';
import { SessionTracker } from './session-tracker.js';
import { parseAgentReport, sweepTask } from './sweep-task.js';

/**
 * Heartbeats carry the progress `status` shows (read from the pending activity, no history event)
 * and what a retry needs to re-attach; this keeps them flowing while the agent is quiet, under the
 * session's heartbeat timeout (workflows/activity-options.ts).
 */
const HEARTBEAT_EVERY_MS = 3_000;
/** Listing is by creation time; this covers clock skew between the worker and the service. */
const CLOCK_SKEW_MS = 5 * 60_000;

interface SessionOwner {
  workflowId: string;
  runId: string;
  activityId: string;
}

/** Standalone activities have no workflow; ours always run in one. */
function ownerOf(info: Context['info'], activityId: string): SessionOwner {
  const { workflowId = '', runId = '' } = info.workflowExecution ?? {};
  return { workflowId, runId, activityId };
}

function ownerMetadata(owner: SessionOwner): Record<string, string> {
  return {
    [SESSION_OWNER_KEYS.workflowId]: owner.workflowId,
    [SESSION_OWNER_KEYS.runId]: owner.runId,
    [SESSION_OWNER_KEYS.activityId]: owner.activityId,
  };
}

const ownedBy = (session: Session, owner: SessionOwner) =>
  Object.entries(ownerMetadata(owner)).every(([key, value]) => session.metadata?.[key] === value);

/** The sessions the given activity (any attempt) created, oldest first. */
async function ownSessions(agents: ManagedAgentsPort, agentId: string, owner: SessionOwner, since: Date) {
  const found: Session[] = [];
  for await (const session of agents.listSessions(agentId, new Date(since.getTime() - CLOCK_SKEW_MS))) {
    if (ownedBy(session, owner)) found.push(session);
  }
  return found;
}

/**
 * Creates the session with the user's vault, sends the task and follows the events to the end of
 * the turn. Progress is heartbeated, so a retried attempt (worker crash, dropped stream) re-attaches
 * to the same session and catches up from its event history instead of starting a second one; an
 * attempt that never heartbeated (its create's answer was lost) finds the session by its owner
 * metadata.
 */
export function createRunAgentSession(deps: ActivityDeps, provisioning: Provisioning) {
  const { managedAgents, sealer, settings } = deps;

  return async function runAgentSession(input: AgentSessionInput): Promise<AgentSessionSummary> {
    const ctx = Context.current();
    const previous = ctx.info.heartbeatDetails as SessionProgress | undefined;
    const { agentId } = await provisioning.resolve();
    const owner = ownerOf(ctx.info, ctx.info.activityId);

    let sessionId = previous?.sessionId;
    if (!sessionId && ctx.info.attempt > 1) {
      const since = new Date(ctx.info.scheduledTimestampMs);
      sessionId = (await ownSessions(managedAgents, agentId, owner, since))[0]?.id;
    }
    sessionId ??= (
      await managedAgents.createSession({
        agent: agentId,
        environment_id: settings.environmentId,
        vault_ids: [input.vaultId],
        title: `Inbox sweep for ${input.identifier}`,
        metadata: { [IDENTIFIER_METADATA_KEY]: input.identifier, ...ownerMetadata(owner) },
      })
    ).id;
    const tracker = new SessionTracker(sessionId);
    // Trusted over the event list: when a sent message shows up there is the service's business.
    if (previous?.messageSent) tracker.markMessageSent();
    // Built here, not in the workflow: the subjects are user mail and cross history only sealed.
    const task = () => sweepTask(openBatch(sealer, input.batch, input.identifier), input.eventForEveryEmail);
    const progress = (): SessionProgress => ({
      sessionId: tracker.sessionId,
      messageSent: tracker.messageSent,
      lastEventId: tracker.lastEventId,
      eventsSeen: tracker.eventsSeen,
      toolCalls: tracker.toolCallCount,
    });
    ctx.heartbeat(progress());

    // The stream has no replay, so it is opened before reading history: nothing falls in between.
    const abort = new AbortController();
    const onCancel = () => abort.abort();
    ctx.cancellationSignal.addEventListener('abort', onCancel);
    // Pings are swallowed by the SDK, so a quiet agent would look like a dead worker without this.
    const keepAlive = setInterval(() => ctx.heartbeat(progress()), HEARTBEAT_EVERY_MS);
    try {
      const stream = await managedAgents.streamEvents(sessionId, abort.signal);
      for await (const event of managedAgents.listEvents(sessionId)) tracker.add(event);
      if (!tracker.messageSent) {
        await managedAgents.sendUserMessage(sessionId, task());
        tracker.markMessageSent();
        ctx.heartbeat(progress());
      }
      if (!tracker.done) {
        for await (const event of stream) {
          if (!tracker.add(event)) continue;
          ctx.heartbeat(progress());
          if (tracker.done) break;
        }
      }
      abort.abort();
      if (!tracker.done) throw new Error(`event stream of session ${sessionId} ended before the turn did`);
      const summary = tracker.summary();
      return { ...summary, reportedNoAction: parseAgentReport(summary.finalMessage).no_action };
    } finally {
      clearInterval(keepAlive);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    }
  };
}

/**
 * Stops what a session activity started, after the sweep gave up on it (cancelled, timed out, out of
 * attempts): interrupts a turn still under way, so the agent books nothing more, and archives the
 * session. Found by owner metadata, so it works whatever became of the attempts (a lost worker
 * included). Idempotent: an archived session is left alone.
 */
export function createEndAgentSession({ managedAgents }: ActivityDeps, provisioning: Provisioning) {
  return async function endAgentSession(input: EndAgentSessionInput): Promise<string[]> {
    const ctx = Context.current();
    const { agentId } = await provisioning.resolve();
    const owner = ownerOf(ctx.info, input.activityId);
    const ended: string[] = [];
    for (const session of await ownSessions(managedAgents, agentId, owner, new Date(input.createdSince))) {
      if (session.archived_at) continue;
      // Any other status may still hold our queued message; the interrupt jumps the queue and drops it.
      if (session.status !== 'terminated') await managedAgents.interrupt(session.id);
      await managedAgents.archiveSession(session.id);
      ended.push(session.id);
    }
    return ended;
  };
}
