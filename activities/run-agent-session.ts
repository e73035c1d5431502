import { Context } from '@temporalio/activity';
import { sleep } from '@temporalio/activity';
import type { AgentSessionSummary } from '../workflows/contract.js';
import type { ArchiveAgentSessionInput, AgentSessionInput, EndAgentSessionInput, SessionProgress } from './types.js';
import type { ManagedAgentsPort } from './apis/managed-agents.js';
import { SESSION_OWNER_KEYS, type Session } from './apis/managed-agents.wire.js';
import type { ActivityDeps } from './deps.js';
import { IDENTIFIER_METADATA_KEY } from './definitions.js';
import type { Provisioning } from './provisioning.js';
import { SessionTracker, type ToolJudge } from './session-tracker.js';
import { openBatch, parseAgentReport, sweepTask, type TaskEmail } from './sweep-task.js';
import { decideToolUse } from './tool-policy.js';
import type { ToolNames } from './tool-catalog.js';
import { toProposal, type CreateEventArgs } from './approvals.js';

/**
 * Heartbeats carry the progress `status` shows (read from the pending activity, no history event)
 * and what a retry needs to re-attach; this keeps them flowing while the agent is quiet, under the
 * session's heartbeat timeout (workflows/activity-options.ts).
 */
const HEARTBEAT_EVERY_MS = 3_000;
/** Listing is by creation time; this covers clock skew between the worker and the service. */
const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * No session lives longer than the Scalekit token in its vault (at most 24 h, and the session bound
 * is shorter: MAX_SESSION_TIMEOUT_MS); an older session can no longer read or book anything, so the
 * search for sessions left behind looks back this far and no further.
 */
const LEFTOVER_LOOKBACK_MS = 24 * 3600_000 + CLOCK_SKEW_MS;
/** After `user.interrupt`, how long a session may take to go idle before the attempt fails (and is retried). */
const IDLE_BOUND_MS = 20_000;
const IDLE_POLL_MS = 250;

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

/** The user's unarchived sessions of the agent created since `since`, oldest first. */
async function userSessions(agents: ManagedAgentsPort, agentId: string, identifier: string, since: Date) {
  const found: Session[] = [];
  for await (const session of agents.listSessions(agentId, new Date(since.getTime() - CLOCK_SKEW_MS))) {
    if (session.metadata?.[IDENTIFIER_METADATA_KEY] === identifier) found.push(session);
  }
  return found;
}

/** The session's status once it stopped working (idle or terminated), polled within a bound. */
async function settled(
  agents: ManagedAgentsPort,
  sessionId: string,
  heartbeat: () => void,
): Promise<Session | undefined> {
  const deadline = Date.now() + IDLE_BOUND_MS;
  for (;;) {
    const session = await agents.retrieveSession(sessionId);
    if (!session || (session.status !== 'running' && session.status !== 'rescheduling')) return session;
    // Retryable: the next attempt interrupts again and waits anew, within the activity's own bound.
    if (Date.now() >= deadline)
      throw new Error(`session ${sessionId} still ${session.status} ${IDLE_BOUND_MS} ms after its interrupt`);
    heartbeat();
    await sleep(IDLE_POLL_MS);
  }
}

/**
 * Ends one session as the API documents: `user.interrupt` (it jumps the queue and ends the turn; a
 * no-op when idle), then, because the interrupt is asynchronous and a running session cannot be
 * archived, waits (bounded) until the session is idle, then archives it unless sessions are kept.
 * Idempotent: an archived session is left alone, a terminated one needs no interrupt.
 */
async function endSession(
  agents: ManagedAgentsPort,
  session: Session,
  retention: 'archive' | 'keep',
  heartbeat: () => void,
): Promise<boolean> {
  if (session.archived_at) return false;
  if (session.status !== 'terminated') await agents.interrupt(session.id);
  const now = await settled(agents, session.id, heartbeat);
  if (!now || now.archived_at) return false;
  if (retention === 'archive') await agents.archiveSession(session.id);
  return true;
}

/**
 * No session outlives its sweep: before a sweep creates a session, it ends every live session of the
 * same user that is not its own. Temporal runs one sweep per user at a time (the canonical workflow
 * id), so such a session was left by a run that can no longer end it: terminated, reset, or cut off
 * by a history limit, none of which runs workflow code.
 *
 * Chosen over a per-user lease in the state store: a lease says who may start, not what is still
 * running, so a terminated run's successor would have to wait out the lease's expiry (or break it)
 * and would still have to find and stop the agent, which keeps booking events meanwhile. The
 * sessions themselves are the truth (they carry the identifier), ending them is what matters, and it
 * needs no clock agreement and no new state. Done before the worker looks up the calendar for the
 * messages it hands out (inbox-ledger.ts), so that lookup sees whatever the old agent booked.
 */
async function endLeftovers(
  agents: ManagedAgentsPort,
  agentId: string,
  identifier: string,
  ours: (session: Session) => boolean,
  retention: 'archive' | 'keep',
  heartbeat: () => void,
): Promise<{ own: Session[]; ended: string[] }> {
  const sessions = await userSessions(agents, agentId, identifier, new Date(Date.now() - LEFTOVER_LOOKBACK_MS));
  const ended: string[] = [];
  for (const session of sessions) {
    if (ours(session)) continue;
    // Kept sessions stay idle once finished; only one still working (or parked) is a leftover then.
    if (retention === 'keep' && (session.status === 'idle' || session.status === 'terminated')) continue;
    if (await endSession(agents, session, retention, heartbeat)) ended.push(session.id);
  }
  return { own: sessions.filter(ours), ended };
}

/**
 * The same clean-up at the start of every sweep's read (`findUnhandled`), before the mail is read: a
 * sweep with nothing new runs no session, yet a terminated run's agent may still be at work, and the
 * read must see what it booked. Sessions of the current run are its own; every other live one of the
 * user was left behind. One session listing per sweep; nothing more unless something was left.
 */
export async function endSessionsLeftBehind(
  { managedAgents, settings }: ActivityDeps,
  provisioning: Provisioning,
  identifier: string,
): Promise<string[]> {
  const ctx = Context.current();
  const runId = ctx.info.workflowExecution?.runId;
  const { agentId } = await provisioning.resolve();
  const { ended } = await endLeftovers(
    managedAgents,
    agentId,
    identifier,
    (session) => session.metadata?.[SESSION_OWNER_KEYS.runId] === runId,
    settings.sessionRetention ?? 'archive',
    () => ctx.heartbeat(),
  );
  return ended;
}

/**
 * Creates the session with the user's vault, sends the task and follows the events to the end of
 * the turn. Progress is heartbeated, so a retried attempt (worker crash, dropped stream) re-attaches
 * to the same session and catches up from its event history instead of starting a second one; an
 * attempt that never heartbeated (its create's answer was lost) finds the session by its owner
 * metadata.
 */
export function createRunAgentSession(deps: ActivityDeps, provisioning: Provisioning) {
  const { managedAgents, sealer, settings, toolPolicy: policy } = deps;

  return async function runAgentSession(input: AgentSessionInput): Promise<AgentSessionSummary> {
    const ctx = Context.current();
    const previous = ctx.info.heartbeatDetails as SessionProgress | undefined;
    const owner = ownerOf(ctx.info, ctx.info.activityId);
    const retention = settings.sessionRetention ?? 'archive';

    let sessionId = previous?.sessionId;
    /** Created by this attempt a moment ago: it has no history to catch up on. */
    let createdHere = false;
    /** The tools' names on the MCP server (maybe prefixed): the gate, the task and the tracker go by them. */
    let tools: ToolNames;
    if (!sessionId) {
      const { agentId } = await provisioning.resolve();
      // Our own session, when an earlier attempt's create answer was lost (it never heartbeated);
      // any other live session of this user was left behind by a run that is gone. A first attempt
      // has no earlier one, and the read that just ran ended the leftovers (one sweep per user):
      // only a retry lists the user's sessions again.
      const [own] =
        ctx.info.attempt > 1
          ? (
              await endLeftovers(
                managedAgents,
                agentId,
                input.identifier,
                (s) => ownedBy(s, owner),
                retention,
                () => ctx.heartbeat(),
              )
            ).own
          : [];
      createdHere = !own;
      // The agent's latest version; what the session runs is checked below, before it is sent anything.
      const session =
        own ??
        (await managedAgents.createSession({
          agent: { type: 'agent', id: agentId },
          environment_id: settings.environmentId,
          vault_ids: [input.vaultId],
          title: `Inbox sweep for ${input.identifier}`,
          metadata: { [IDENTIFIER_METADATA_KEY]: input.identifier, ...ownerMetadata(owner) },
        }));
      sessionId = session.id;
      try {
        tools = provisioning.sessionTools(session.agent);
      } catch (err) {
        // A session that was sent nothing has done nothing: archived, and the sweep fails loudly.
        await managedAgents.archiveSession(session.id).catch(() => undefined);
        throw err;
      }
    } else {
      tools = await provisioning.toolNames();
    }
    // Built here, not in the workflow: the subjects are user mail and cross history only sealed.
    const batch = openBatch(sealer, input.batch, input.identifier);
    const startedAt = new Date(ctx.info.scheduledTimestampMs);
    const judge = gateFor(batch, input.approval, policy?.now?.() ?? startedAt, tools, policy?.decide);
    const tracker = new SessionTracker(sessionId, batch.length, judge, tools.googlecalendar_create_event);
    // Trusted over the event list: when a sent message shows up there is the service's business.
    if (previous?.messageSent) tracker.markMessageSent(previous.turnsSent ?? 1);
    const progress = (): SessionProgress => ({
      sessionId: tracker.sessionId,
      messageSent: tracker.messageSent,
      turnsSent: tracker.turnsSent,
      lastEventId: tracker.lastEventId,
      eventsSeen: tracker.eventsSeen,
      toolCalls: tracker.toolCallCount,
      toolDecisions: tracker.toolDecisions(),
    });
    ctx.heartbeat(progress());

    /**
     * What the session waits on from us: answers to held tool calls, then the next turn's message.
     * A confirmation another attempt already sent is in the history (its echo) and not sent again;
     * one whose answer was lost is refused by the service as no longer waiting, which is fine:
     * the decision it carried is the one recomputed here from the same history.
     */
    const answer = async () => {
      for (const { toolUseId, decision } of tracker.pendingConfirmations()) {
        const allowed = decision.decision === 'allow';
        const denyMessage = decision.denyMessage ?? 'Denied by the inbox-agent tool policy.';
        await managedAgents.confirmToolUse(
          sessionId,
          toolUseId,
          allowed ? { result: 'allow' } : { result: 'deny', denyMessage },
        );
        tracker.markAnswered(toolUseId);
      }
      const turn = tracker.nextTurn;
      if (turn === undefined) return;
      await managedAgents.sendUserMessage(sessionId, sweepTask([batch[turn]!], input.eventForEveryEmail, tools));
      tracker.markMessageSent(turn + 1);
      ctx.heartbeat(progress());
    };

    // The stream has no replay, so it is opened before reading history: nothing falls in between. A
    // session this attempt created has no history yet (our message is what starts it): no list.
    const abort = new AbortController();
    const onCancel = () => abort.abort();
    ctx.cancellationSignal.addEventListener('abort', onCancel);
    // Pings are swallowed by the SDK, so a quiet agent would look like a dead worker without this.
    const keepAlive = setInterval(() => ctx.heartbeat(progress()), HEARTBEAT_EVERY_MS);
    try {
      const stream = await managedAgents.streamEvents(sessionId, abort.signal);
      if (!createdHere) for await (const event of managedAgents.listEvents(sessionId)) tracker.add(event);
      await answer();
      if (!tracker.done) {
        for await (const event of stream) {
          if (!tracker.add(event)) continue;
          ctx.heartbeat(progress());
          if (tracker.done) break;
          await answer();
        }
      }
      abort.abort();
      if (!tracker.done) throw new Error(`event stream of session ${sessionId} ended before the turn did`);
      // Approval mode `ask`: the creations the policy allowed were denied to the agent and wait for the user.
      const runId = ctx.info.workflowExecution?.runId ?? '';
      const proposals = tracker
        .judgedUses()
        .filter((u) => u.decision.decision === 'propose' && u.decision.messageId)
        .map((u) => toProposal(runId, u.decision.messageId!, u.input as unknown as CreateEventArgs));
      return {
        ...tracker.summary(),
        reportedNoAction: ownJudgements(batch, tracker.turnReplies),
        ...(proposals.length > 0 ? { proposals } : {}),
      };
    } finally {
      clearInterval(keepAlive);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    }
  };
}

/**
 * One email's content must not decide another email's fate. So a session handles its batch one turn
 * per message: turn i's task names only message i, the gate lets turn i book only message i's event,
 * and a "no action" judgement counts only from the turn about that message (`ownJudgements`); an
 * injected email can still make its own turn report anything about its batch-mates, and it is
 * ignored. Chosen over one session per message (a fresh context each time) because a session costs a
 * create, an MCP connection and an archive, where a turn costs one message; the residual risk of a
 * shared context (an earlier email persuading the model to skip a later one, which the model then
 * reports in that later message's own turn) is bounded by the gate: no turn can book or read
 * anything beyond its own message, and the worker's own bulk-mail rules are not the agent's to
 * override. Chosen over one turn for the batch because there the gate could not tell which message a
 * well-formed event is "for" (an injected email could book its batch-mate's event first, with its own
 * text, and the real one would be refused as a second).
 */
export function ownJudgements(batch: readonly TaskEmail[], replies: readonly string[]): string[] {
  return batch.filter((m, turn) => parseAgentReport(replies[turn] ?? '').no_action.includes(m.id)).map((m) => m.id);
}

/** The tool policy for this batch, as the tracker calls it: the turn decides which message a call is for. */
function gateFor(
  batch: readonly TaskEmail[],
  approval: AgentSessionInput['approval'],
  now: Date,
  tools: ToolNames,
  decide: typeof decideToolUse = decideToolUse,
): ToolJudge {
  return (use, turn, booked) =>
    decide(use, { batch, messageId: batch[turn]?.id ?? '', booked, now, tools, ...(approval ? { approval } : {}) });
}

/**
 * Tests only: a stand-in for the tool policy (e.g. one that allows everything, to show the attacks a
 * gate stops) and the clock it judges start windows by. The product never passes one.
 */
export interface SessionPolicyOverride {
  decide?: typeof decideToolUse;
  now?: () => Date;
}

/**
 * Stops what a session activity started, after the sweep gave up on it (cancelled, timed out, out of
 * attempts): interrupts a turn still under way, so the agent books nothing more, waits for it to go
 * idle and archives it (unless sessions are kept). Found by owner metadata, so it works whatever
 * became of the attempts (a lost worker included). Idempotent.
 */
export function createEndAgentSession({ managedAgents, settings }: ActivityDeps, provisioning: Provisioning) {
  return async function endAgentSession(input: EndAgentSessionInput): Promise<string[]> {
    const ctx = Context.current();
    const { agentId } = await provisioning.resolve();
    const owner = ownerOf(ctx.info, input.activityId);
    const ended: string[] = [];
    for (const session of await userSessions(managedAgents, agentId, input.identifier, new Date(input.createdSince))) {
      if (!ownedBy(session, owner)) continue;
      if (await endSession(managedAgents, session, settings.sessionRetention ?? 'archive', () => ctx.heartbeat())) {
        ended.push(session.id);
      }
    }
    return ended;
  };
}

/**
 * Archives a finished session once the sweep has confirmed what it booked, as Anthropic asks of
 * sessions that are done, so no session keeps the mail it read (`INBOX_AGENT_SESSION_RETENTION=keep`
 * leaves it). Its turn ended, so no interrupt; it waits for idle all the same (bounded), since a
 * running session cannot be archived. True when this call archived it.
 */
export function createArchiveAgentSession({ managedAgents, settings }: ActivityDeps) {
  return async function archiveAgentSession(input: ArchiveAgentSessionInput): Promise<boolean> {
    if ((settings.sessionRetention ?? 'archive') === 'keep') return false;
    const ctx = Context.current();
    const session = await settled(managedAgents, input.sessionId, () => ctx.heartbeat());
    if (!session || session.archived_at) return false;
    if (session.metadata?.[IDENTIFIER_METADATA_KEY] !== input.identifier) return false;
    await managedAgents.archiveSession(session.id);
    return true;
  };
}
