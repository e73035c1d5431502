import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import {
  searchAttributes,
  type ConnectionsReport,
  type SessionProgress,
  type SweepOutcome,
  type SweepPhase,
  type SweepStatus,
} from './contract.js';

/** What a sweep exposes while it runs: the `status` query, search attributes and UI details. */
export class SweepState {
  private readonly current: SweepStatus;

  constructor(identifier: string) {
    this.current = {
      identifier,
      phase: 'checking_connections',
      inactiveConnections: [],
      authLinks: [],
      reauthSignals: 0,
    };
  }

  get status(): SweepStatus {
    return this.current;
  }

  get reauthSignals(): number {
    return this.current.reauthSignals;
  }

  enter(phase: SweepPhase): void {
    if (this.current.phase === phase) return;
    this.current.phase = phase;
    upsertSearchAttributes([{ key: searchAttributes.phase, value: phase }]);
    if (phase !== 'awaiting_reauthorization') setCurrentDetails(`**${phase.replaceAll('_', ' ')}**`);
  }

  awaitReauthorization(report: ConnectionsReport, reason: string, deadline: Date): void {
    this.current.waitingBecause = reason;
    this.current.inactiveConnections = report.inactive;
    this.current.authLinks = report.connections
      .filter((c) => c.authLink)
      .map((c) => ({ connection: c.connection, url: c.authLink!, createdAt: c.linkCreatedAt }));
    this.current.reauthDeadline = deadline.toISOString();
    this.enter('awaiting_reauthorization');
    const links = this.current.authLinks.map((l) => `- ${l.connection}: [${l.url}](${l.url}) (made ${l.createdAt})`);
    const who = this.current.identifier;
    setCurrentDetails(
      [
        `**Waiting for re-authorization** until ${deadline.toISOString()}: ${reason}.`,
        links.join('\n'),
        `Links expire within minutes: \`npm run cli -- auth-links ${who}\` makes fresh ones.`,
        `Once the user has authorized, send the \`reauthorized\` signal (\`npm run cli -- reauthorized ${who}\`).`,
      ].join('\n\n'),
    );
  }

  reauthorizedSignalled(): void {
    this.current.reauthSignals += 1;
  }

  connectionsActive(): void {
    delete this.current.waitingBecause;
    this.current.inactiveConnections = [];
    this.current.authLinks = [];
  }

  sessionProgress(progress: SessionProgress): void {
    this.current.sessionId = progress.sessionId;
    this.current.progress = {
      eventsSeen: progress.eventsSeen,
      lastEventId: progress.lastEventId,
      toolCalls: progress.toolCalls,
    };
  }

  sessionFinished(sessionId: string): void {
    this.current.sessionId = sessionId;
  }

  finish(phase: SweepOutcome): void {
    this.enter(phase);
    upsertSearchAttributes([{ key: searchAttributes.outcome, value: phase }]);
  }
}
