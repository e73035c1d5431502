import { metricMeter } from '@temporalio/workflow';
import { metricNames, type AgentSessionSummary, type SweepOutcome } from './contract.js';

// The workflow's meter goes through a sink the SDK skips during replay, so each event counts once
// however often the history is replayed; the SDK adds namespace, task queue and workflow type tags.
// Created per call: the meter may only be used inside a workflow context, not at module load.
const counter = (name: string, unit: string, description: string) => metricMeter.createCounter(name, unit, description);

export const sweepMetrics = {
  finished: (outcome: SweepOutcome) =>
    counter(metricNames.sweeps, 'sweeps', 'Finished sweeps by outcome').add(1, { outcome }),
  gaveUp: (messages: number) =>
    counter(metricNames.messagesGaveUp, 'messages', 'Messages set aside after repeated failed sessions').add(messages),
  tokenMinted: () => counter(metricNames.tokensMinted, 'tokens', 'Scalekit session tokens minted').add(1),
  session: ({ usage, toolDecisions }: AgentSessionSummary) => {
    counter(metricNames.sessionsStarted, 'sessions', 'Agent sessions run').add(1);
    const tokens = counter(metricNames.agentTokens, 'tokens', 'Model tokens the agent used');
    tokens.add(usage.inputTokens, { direction: 'input' });
    tokens.add(usage.outputTokens, { direction: 'output' });
    // Counted here, from the summary the session activity returned, rather than by the activity as
    // it sends each confirmation: a retried attempt re-derives the earlier attempt's decisions from
    // the session's history (tool-policy.ts is pure), so counting per attempt would count them twice;
    // the workflow sees one summary per session and its meter skips replay, so each decided call
    // counts once. Accepted loss: a session whose every attempt failed returns no summary, and its
    // calls are not counted (the activity-failure counter shows that session instead).
    const calls = counter(metricNames.toolCalls, 'calls', 'Tool calls the tool policy decided');
    for (const { tool, decision } of toolDecisions) calls.add(1, { tool, decision });
  },
};
