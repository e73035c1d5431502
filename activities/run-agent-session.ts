import { Context } from '@temporalio/activity';
import type { AgentSessionInput, AgentSessionSummary, SessionProgress } from '../workflows/contract.js';
import type { ActivityDeps } from './deps.js';
import { IDENTIFIER_METADATA_KEY } from './definitions.js';
import { openBatch } from './inbox-ledger.js';
import type { Provisioning } from './provisioning.js';
import { SessionTracker, type SessionEventLike } from './session-tracker.js';
import { parseAgentReport, sweepTask } from './sweep-task.js';

/** How often the workflow's `status` hears about progress; each report is a history event. */
const PROGRESS_EVERY_MS = 5_000;

/**
 * Creates the session with the user's vault, sends the task and follows the events to the end of
 * the turn. Progress is heartbeated, so a retried attempt (worker crash, dropped stream) re-attaches
 * to the same session and catches up from its event history instead of starting a second one.
 */
export function createRunAgentSession(deps: ActivityDeps, provisioning: Provisioning) {
  const { anthropic, sealer, settings } = deps;

  return async function runAgentSession(input: AgentSessionInput): Promise<AgentSessionSummary> {
    const ctx = Context.current();
    const previous = ctx.info.heartbeatDetails as SessionProgress | undefined;
    const { agentId } = await provisioning.resolve();
    const execution = ctx.info.workflowExecution;

    const sessionId =
      previous?.sessionId ??
      (
        await anthropic.beta.sessions.create({
          agent: agentId,
          environment_id: settings.environmentId,
          vault_ids: [input.vaultId],
          title: `Inbox sweep for ${input.identifier}`,
          metadata: { [IDENTIFIER_METADATA_KEY]: input.identifier, workflow_id: execution?.workflowId ?? '' },
        })
      ).id;
    const tracker = new SessionTracker(sessionId);
    // Trusted over the event list: when a sent message shows up there is the service's business.
    if (previous?.messageSent) tracker.markMessageSent();
    // Built here, not in the workflow: the subjects are user mail and cross history only sealed.
    const task = () => sweepTask(openBatch(sealer, input.batch, input.identifier), input.eventForEveryEmail);
    const progress = (): SessionProgress => ({
      sessionId,
      messageSent: tracker.messageSent,
      lastEventId: tracker.lastEventId,
      eventsSeen: tracker.eventsSeen,
      toolCalls: tracker.toolCallCount,
    });
    ctx.heartbeat(progress());

    let lastReport = 0;
    const report = async (force = false) => {
      if (!deps.reportProgress || !execution || (!force && Date.now() - lastReport < PROGRESS_EVERY_MS)) return;
      lastReport = Date.now();
      await deps.reportProgress(execution.workflowId, execution.runId, progress()).catch((err: unknown) => {
        ctx.log.warn('could not report session progress', { error: String(err) });
      });
    };
    await report(true);

    // The stream has no replay, so it is opened before reading history: nothing falls in between.
    const abort = new AbortController();
    const onCancel = () => abort.abort();
    ctx.cancellationSignal.addEventListener('abort', onCancel);
    // Pings are swallowed by the SDK, so a quiet agent would look like a dead worker without this.
    const keepAlive = setInterval(() => ctx.heartbeat(progress()), 5_000);
    try {
      const stream = await anthropic.beta.sessions.events.stream(sessionId, {}, { signal: abort.signal });
      for await (const event of anthropic.beta.sessions.events.list(sessionId, { limit: 1000 })) {
        tracker.add(event as SessionEventLike);
      }
      if (!tracker.messageSent) {
        await anthropic.beta.sessions.events.send(sessionId, {
          events: [{ type: 'user.message', content: [{ type: 'text', text: task() }] }],
        });
        tracker.markMessageSent();
        ctx.heartbeat(progress());
      }
      if (!tracker.done) {
        for await (const event of stream) {
          if (!tracker.add(event as SessionEventLike)) continue;
          ctx.heartbeat(progress());
          await report();
          if (tracker.done) break;
        }
      }
      abort.abort();
      if (!tracker.done) throw new Error(`event stream of session ${sessionId} ended before the turn did`);
      await report(true);
      const summary = tracker.summary();
      return { ...summary, reportedNoAction: parseAgentReport(summary.finalMessage).no_action };
    } finally {
      clearInterval(keepAlive);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    }
  };
}
