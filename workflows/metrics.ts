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
  session: ({ usage }: AgentSessionSummary) => {
    counter(metricNames.sessionsStarted, 'sessions', 'Agent sessions run').add(1);
    const tokens = counter(metricNames.agentTokens, 'tokens', 'Model tokens the agent used');
    tokens.add(usage.inputTokens, { direction: 'input' });
    tokens.add(usage.outputTokens, { direction: 'output' });
  },
};
