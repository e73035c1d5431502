import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { createSpinner } from 'nanospinner';
import type { SweepReport, SweepStatus } from '../workflows/contract.js';
import { sweepStatus } from './status.js';
import { formatReport, sessionProgress } from './format.js';

/** One change in a sweep as `sweep --wait` reports it; `--json` prints each as one line. */
export type ProgressEvent =
  | { event: 'started'; workflowId: string; identifier: string }
  | { event: 'phase'; phase: string }
  | {
      event: 'waiting';
      waitingBecause?: string;
      inactiveConnections: string[];
      authLinks: SweepStatus['authLinks'];
      reauthDeadline?: string;
    }
  | { event: 'session'; sessionId: string; eventsSeen: number; toolCalls?: number }
  | { event: 'outcome'; outcome: string; report: SweepReport }
  | { event: 'failed'; type?: string; message: string }
  /** `--wait` stops following; the sweep itself goes on. */
  | { event: 'detached'; reason: 'waiting_for_user' | 'interrupted'; workflowId: string };

export type WatchEnd =
  | { kind: 'finished'; report: SweepReport }
  | { kind: 'failed'; type?: string; message: string }
  | { kind: 'waiting'; status: SweepStatus };

export interface WatchOptions {
  /** Keep following through a re-authorization wait instead of returning when it starts. */
  throughReauth?: boolean;
  /** How often to ask the `status` query. */
  intervalMs?: number;
  onEvent(event: ProgressEvent): void;
}

/**
 * Follows a sweep by polling its `status` query (the only progress source the contract promises,
 * so this works whatever feeds it) and reports each change, until the sweep ends or, unless
 * `throughReauth`, starts waiting for the user.
 */
export async function watchSweep(handle: WorkflowHandle, options: WatchOptions): Promise<WatchEnd> {
  const interval = options.intervalMs ?? 500;
  // The result's long poll is cancelled when watching stops early, so the process can exit at once.
  const stop = new AbortController();
  const ended: Promise<WatchEnd> = handle.client
    .withAbortSignal(stop.signal, () => handle.result())
    .then(
      (report: SweepReport) => ({ kind: 'finished', report }),
      (err: Error) => {
        const cause = (err.cause ?? err) as Error & { type?: string };
        return { kind: 'failed', type: cause.type ?? undefined, message: cause.message.split('\n')[0]! };
      },
    );
  let previous: SweepStatus | undefined;
  for (;;) {
    // A query can fail while no worker polls; the next round asks again.
    const status = await sweepStatus(handle).catch(() => undefined);
    if (status) {
      for (const event of changes(previous, status)) options.onEvent(event);
      previous = status;
      if (status.phase === 'awaiting_reauthorization' && !options.throughReauth) {
        stop.abort();
        return { kind: 'waiting', status };
      }
    }
    const end = await Promise.race([ended, sleep(interval).then(() => undefined)]);
    if (!end) continue;
    if (end.kind === 'finished') options.onEvent({ event: 'outcome', outcome: end.report.outcome, report: end.report });
    if (end.kind === 'failed') options.onEvent({ event: 'failed', type: end.type, message: end.message });
    return end;
  }
}

function changes(before: SweepStatus | undefined, now: SweepStatus): ProgressEvent[] {
  const events: ProgressEvent[] = [];
  if (before?.phase !== now.phase) {
    events.push({ event: 'phase', phase: now.phase });
    if (now.phase === 'awaiting_reauthorization') {
      events.push({
        event: 'waiting',
        waitingBecause: now.waitingBecause,
        inactiveConnections: now.inactiveConnections,
        authLinks: now.authLinks,
        reauthDeadline: now.reauthDeadline,
      });
    }
  }
  // Progress comes from the session activity's heartbeats; once the session is over the workflow's
  // status names it without progress, which is no change (the report that follows has the counts).
  const p = now.progress;
  const was = before?.progress;
  if (
    now.sessionId &&
    (now.sessionId !== before?.sessionId || (p && (p.eventsSeen !== was?.eventsSeen || p.toolCalls !== was?.toolCalls)))
  ) {
    events.push({
      event: 'session',
      sessionId: now.sessionId,
      eventsSeen: p?.eventsSeen ?? 0,
      toolCalls: p?.toolCalls,
    });
  }
  return events;
}

/** A progress event in words, for the live line and for plain-text logs. */
export function describeProgress(e: ProgressEvent): string {
  switch (e.event) {
    case 'started':
      return `sweep ${e.workflowId} started for ${e.identifier}`;
    case 'phase':
      return e.phase.replaceAll('_', ' ');
    case 'waiting':
      return [
        `waiting for re-authorization${e.reauthDeadline ? ` until ${e.reauthDeadline}` : ''}${e.waitingBecause ? ` (${e.waitingBecause})` : ''}`,
        ...e.authLinks.map((l) => `  ${l.connection}: ${l.url}${l.createdAt ? ` (made ${l.createdAt})` : ''}`),
      ].join('\n');
    case 'session':
      // The first heartbeat is sent as the session starts; later ones are throttled by the SDK (about
      // every 8 s), so a short session may end before any count reaches the server.
      return e.eventsSeen === 0 && !e.toolCalls
        ? `session ${e.sessionId} started`
        : `session ${e.sessionId}: ${sessionProgress(e)}`;
    case 'outcome':
      return formatReport(e.report);
    case 'failed':
      return `sweep failed${e.type ? ` (${e.type})` : ''}: ${e.message}`;
    case 'detached':
      return e.reason === 'waiting_for_user'
        ? `${e.workflowId} waits for the user; it goes on without this command (exit 3)`
        : `stopped following; ${e.workflowId} keeps running`;
  }
}

export type ProgressMode = 'spinner' | 'lines' | 'json';

/**
 * Where progress goes: a live spinner line on a terminal (nanospinner), one line of text per change,
 * or one JSON object per change.
 */
export function progressPrinter(mode: ProgressMode, out: NodeJS.WriteStream = process.stdout) {
  if (mode === 'json') return (e: ProgressEvent) => out.write(`${JSON.stringify(e)}\n`);
  // nanospinner sizes its redraw by the terminal's width: with none known, plain lines instead.
  if (mode === 'lines' || !(out.columns > 0)) return (e: ProgressEvent) => out.write(`${describeProgress(e)}\n`);
  const spinner = createSpinner('', { stream: out });
  return (e: ProgressEvent) => {
    const text = describeProgress(e);
    switch (e.event) {
      case 'started':
        spinner.start({ text });
        break;
      case 'phase':
      case 'session':
        // After a warning (a wait that --through-reauth follows) the spinner has stopped.
        if (spinner.isSpinning()) spinner.update({ text });
        else spinner.start({ text });
        break;
      case 'waiting': {
        // The live line stays one line; the links go below it.
        const [first, ...links] = text.split('\n');
        spinner.warn({ text: first });
        for (const link of links) out.write(`${link}\n`);
        break;
      }
      case 'outcome':
        (e.outcome === 'completed' ? spinner.success : spinner.error).call(spinner, { text: e.outcome });
        out.write(`${text}\n`);
        break;
      case 'failed':
        spinner.error({ text });
        break;
      case 'detached':
        if (spinner.isSpinning()) spinner.stop();
        out.write(`${text}\n`);
    }
  };
}
