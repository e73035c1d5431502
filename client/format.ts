import type {
  ConnectionsReport,
  ProposalView,
  ProvisionResult,
  SweepReport,
  SweepStatus,
} from '../workflows/contract.js';
import type { SweepListing } from './index.js';
import type { ScheduleSummaryView, ScheduleView, UnscheduleResult } from './schedule-views.js';

/** Plain-text renderings for people; `--json` prints the objects themselves. */
export function formatProvision(r: ProvisionResult): string {
  const how = (created: boolean, updated = false) => (created ? 'created' : updated ? 'updated' : 'unchanged');
  return [
    `Virtual MCP config ${r.mcpConfigId} (${how(r.created.mcpConfig)})`,
    `  MCP server URL ${r.mcpServerUrl}`,
    `Agent ${r.agentId} version ${r.agentVersion} (${how(r.created.agent, r.created.agentUpdated)})`,
  ].join('\n');
}

export function formatConnections(r: ConnectionsReport): string {
  const lines = r.connections.map((c) =>
    c.status === 'ACTIVE'
      ? `✓ ${c.connection}: ACTIVE`
      : `✗ ${c.connection}: ${c.status}${c.authLink ? `\n    authorize: ${c.authLink}\n    (link made ${c.linkCreatedAt}; it expires ${c.linkExpiresAt ?? 'within a minute or so'})` : ''}`,
  );
  const tail = r.inactive.length
    ? `${r.inactive.length} connection(s) need the user's authorization.`
    : 'All connections are active.';
  return [`Connections of ${r.identifier}:`, ...lines, tail].join('\n');
}

export function formatStatus(workflowId: string, s: SweepStatus): string {
  const lines = [`${workflowId}: ${s.phase.replaceAll('_', ' ')}${s.waitingBecause ? ` (${s.waitingBecause})` : ''}`];
  if (s.inactiveConnections.length) lines.push(`  inactive: ${s.inactiveConnections.join(', ')}`);
  for (const link of s.authLinks) {
    lines.push(
      `  ${link.connection}: ${link.url} (made ${link.createdAt ?? '?'}${link.expiresAt ? `, expires ${link.expiresAt}` : ''})`,
    );
  }
  if (s.authLinks.length)
    lines.push(`  links live about a minute: npm run cli -- auth-links ${s.identifier} makes fresh ones`);
  if (s.reauthDeadline) lines.push(`  waiting for re-authorization until ${s.reauthDeadline}`);
  if (s.sessionId) lines.push(`  session ${s.sessionId}, ${s.progress?.eventsSeen ?? 0} events so far`);
  if (s.setAside) lines.push(`  ${setAsideLine(s.setAside, s.identifier)}`);
  if (s.approval) lines.push(`  approval mode ${s.approval}`);
  if (s.proposals?.length) lines.push(formatProposals(s.identifier, s.proposals, s.approvalDeadline, '  '));
  return lines.join('\n');
}

/** Proposed events, one per line, with what to type for the pending ones. */
export function formatProposals(identifier: string, proposals: ProposalView[], deadline?: string, indent = ''): string {
  if (!proposals.length) return `${indent}no proposed events for ${identifier}`;
  const lines = proposals.map((p) => {
    const state =
      p.state === 'pending'
        ? 'pending'
        : `${p.state}${p.reason ? ` (${p.reason})` : ''}${p.eventId ? ` → event ${p.eventId}` : ''}`;
    return `${indent}${p.id}  ${state}  ${p.title}  ${p.start} → ${p.end}`;
  });
  if (proposals.some((p) => p.state === 'pending')) {
    lines.push(
      `${indent}waiting until ${deadline ?? '?'}: npm run cli -- approve ${identifier} [ID…], or approve --deny --reason TEXT [ID…]`,
    );
  }
  return lines.join('\n');
}

export function formatReport(r: SweepReport): string {
  const lines = [`Sweep for ${r.identifier}: ${r.outcome.replaceAll('_', ' ')}`];
  if (r.reauthWaits) lines.push(`  waited for re-authorization ${r.reauthWaits} time(s)`);
  if (r.vault) lines.push(`  vault ${r.vault.vaultId} (${r.vault.created ? 'credential created' : 'token updated'})`);
  if (r.session) {
    const s = r.session;
    lines.push(`  session ${s.sessionId}: ${s.stopReason}, tools ${s.toolCalls.join(', ') || 'none'}`);
    if (s.error) lines.push(`  error ${s.error.type}: ${s.error.message}`);
    if (s.finalMessage) lines.push(`  agent: ${s.finalMessage}`);
    lines.push(`  usage: ${s.usage.inputTokens} input / ${s.usage.outputTokens} output tokens`);
  }
  if (r.messages?.gaveUp.length) lines.push(`  gave up on ${r.messages.gaveUp.join(', ')} after 3 sessions`);
  if (r.messages?.setAside) lines.push(`  ${setAsideLine(r.messages.setAside, r.identifier)}`);
  if (r.approval) {
    const a = r.approval;
    lines.push(
      `  approval: ${a.approved.length} approved, ${a.denied.length} denied${a.timedOut ? ' (the wait ran out; undecided proposals denied)' : ''}`,
    );
  }
  lines.push(`  ${r.startedAt} → ${r.finishedAt}`);
  return lines.join('\n');
}

const setAsideLine = (count: number, identifier: string) =>
  `${count} unread message(s) set aside (gave_up); npm run cli -- retry ${identifier} <messageId> puts one back`;

export function formatSweepList(r: { sweeps: SweepListing[]; nextPageToken?: string }): string {
  if (!r.sweeps.length) return 'no sweeps match';
  const lines = r.sweeps.map((s) => {
    const state = s.status === 'RUNNING' ? (s.phase ?? 'starting') : (s.outcome ?? s.status.toLowerCase());
    const since = s.status === 'RUNNING' ? `since ${s.startedAt}` : `ended ${s.closedAt}`;
    const waiting = s.inactiveConnections?.length
      ? `\n    inactive: ${s.inactiveConnections.join(', ')}; waits until ${s.reauthDeadline ?? '?'}`
      : '';
    const aside = s.setAside ? `  ${s.setAside} set aside` : '';
    return `${s.identifier ?? '?'}  ${state.replaceAll('_', ' ')}${aside}  ${since}  ${s.workflowId}${waiting}`;
  });
  if (r.nextPageToken) lines.push(`more: --page-token ${r.nextPageToken}`);
  return lines.join('\n');
}

export function formatScheduleList(schedules: ScheduleSummaryView[]): string {
  if (!schedules.length) return 'no schedules';
  return schedules
    .map(
      (s) =>
        `${s.identifier ?? s.scheduleId}  ${s.spec}  ${s.paused ? `paused${s.note ? ` (${s.note})` : ''}` : `next ${s.nextRuns[0] ?? '-'}`}`,
    )
    .join('\n');
}

export function formatSchedule(s: ScheduleView): string {
  const lines = [
    `Schedule ${s.scheduleId} of ${s.identifier}: ${s.spec}${s.timezone ? ` (${s.timezone})` : ''}`,
    `  ${s.paused ? 'paused' : 'active'}${s.note ? `: ${s.note}` : ''}`,
    `  catch-up window ${s.catchupWindow}, overlaps ${s.overlap.toLowerCase().replaceAll('_', ' ')}${s.jitter ? `, jitter ${s.jitter}` : ''}`,
    `  runs taken ${s.actionsTaken}, skipped (overlap) ${s.skippedOverlap}, missed (catch-up) ${s.missedCatchupWindow}`,
  ];
  if (s.nextRuns.length) lines.push(`  next runs: ${s.nextRuns.slice(0, 3).join(', ')}`);
  for (const r of s.recentRuns) {
    lines.push(`  ran ${r.takenAt}: ${r.workflowId} ${(r.outcome ?? r.status ?? 'unknown').toLowerCase()}`);
  }
  if (s.running.length) lines.push(`  running now: ${s.running.join(', ')}`);
  return lines.join('\n');
}

export function formatUnschedule(r: UnscheduleResult): string {
  if (!r.deleted) return 'no schedule';
  return [
    'schedule deleted',
    ...r.stillRunning.map(
      (s) =>
        `  ${s.workflowId} goes on (${(s.phase ?? 'running').replaceAll('_', ' ')}` +
        (s.phase === 'awaiting_reauthorization'
          ? `; it waits until ${s.reauthDeadline ?? 'its deadline'} or a reauthorized signal)`
          : ')'),
    ),
  ].join('\n');
}
