import type {
  ConnectionsReport,
  ProposalView,
  ProvisionResult,
  SweepReport,
  SweepStatus,
} from '../workflows/contract.js';
import { toolDecisionLines } from '../workflows/tool-decisions.js';
import type { SweepListing } from './index.js';
import type { ScheduleSummaryView, ScheduleView, UnscheduleResult } from './schedule-views.js';

/**
 * How the reader runs this CLI, for the commands the output suggests: `npm run cli --` in a checkout
 * (npm names the script it runs), otherwise the `inbox-agent` command (package.json `bin`; the image
 * links it onto the PATH), never a script of this repository where there is none.
 */
export const cli = (): string => (process.env.npm_lifecycle_event === 'cli' ? 'npm run cli --' : 'inbox-agent');

/** Plain-text renderings for people; `--json` prints the objects themselves. */
export function formatProvision(r: ProvisionResult): string {
  const how = (created: boolean, updated = false) => (created ? 'created' : updated ? 'updated' : 'unchanged');
  return [
    `Virtual MCP config ${r.mcpConfigId} (${how(r.created.mcpConfig)})`,
    `  MCP server URL ${r.mcpServerUrl}`,
    `Agent ${r.agentId} version ${r.agentVersion} (${how(r.created.agent, r.created.agentUpdated)})`,
  ].join('\n');
}

/**
 * When a link was made and whether it still works: links live about a minute, so a status read later
 * must say the one it shows has expired rather than offer it as if it worked.
 */
export function linkAge(createdAt: string | undefined, expiresAt: string | undefined, now = Date.now()): string {
  const made = `made ${createdAt ?? '?'}`;
  if (!expiresAt) return `${made}; it expires within a minute or so`;
  return Date.parse(expiresAt) <= now ? `${made}; EXPIRED at ${expiresAt}` : `${made}; expires ${expiresAt}`;
}

export function formatConnections(r: ConnectionsReport): string {
  const lines = r.connections.map((c) =>
    c.status === 'ACTIVE'
      ? `✓ ${c.connection}: ACTIVE`
      : `✗ ${c.connection}: ${c.status}${c.authLink ? `\n    authorize: ${c.authLink}\n    (${linkAge(c.linkCreatedAt, c.linkExpiresAt)})` : ''}`,
  );
  const tail = r.inactive.length
    ? `${r.inactive.length} connection(s) need the user's authorization.`
    : 'All connections are active.';
  // Scalekit creates accounts for an identifier it has never seen: say so, a typo would look the same.
  const created = r.newAccounts?.length
    ? [`${r.identifier} is new: accounts were created just now for ${r.newAccounts.join(', ')}.`]
    : [];
  return [`Connections of ${r.identifier}:`, ...lines, ...created, tail].join('\n');
}

export function formatStatus(workflowId: string, s: SweepStatus, now = Date.now()): string {
  const lines = [`${workflowId}: ${s.phase.replaceAll('_', ' ')}${s.waitingBecause ? ` (${s.waitingBecause})` : ''}`];
  if (s.inactiveConnections.length) lines.push(`  inactive: ${s.inactiveConnections.join(', ')}`);
  for (const link of s.authLinks) {
    lines.push(`  ${link.connection}: ${link.url} (${linkAge(link.createdAt, link.expiresAt, now)})`);
  }
  if (s.authLinks.length)
    lines.push(`  links live about a minute: ${cli()} auth-links ${s.identifier} makes fresh ones`);
  if (s.reauthDeadline) lines.push(`  waiting for re-authorization until ${s.reauthDeadline}`);
  if (s.sessionId) lines.push(`  session ${s.sessionId}: ${sessionProgress(s.progress)}`);
  if (s.setAside) lines.push(`  ${setAsideLine(s.setAside, s.identifier)}`);
  if (s.approval) lines.push(`  approval mode ${s.approval}`);
  if (s.proposals?.length) lines.push(formatProposals(s.identifier, s.proposals, s.approvalDeadline, '  '));
  lines.push(...toolDecisions(s.toolDecisions));
  return lines.join('\n');
}

/** The tool policy's decisions (tool, decision, reason, denied calls' message ids), indented under a sweep. */
function toolDecisions(decisions: SweepStatus['toolDecisions']): string[] {
  if (!decisions?.length) return [];
  const { totals, lines } = toolDecisionLines(decisions);
  return [`  tool calls: ${totals}`, ...lines.map((l) => `    ${l}`)];
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
      `${indent}waiting until ${deadline ?? '?'}: ${cli()} approve ${identifier} [ID…], or approve --deny --reason TEXT [ID…]`,
    );
  }
  return lines.join('\n');
}

/** "5 events, 2 tool calls": what the session did so far, from the session activity's heartbeat. */
export function sessionProgress(p: { eventsSeen: number; toolCalls?: number } | undefined): string {
  const events = p?.eventsSeen ?? 0;
  const calls = p?.toolCalls;
  return `${events} event${events === 1 ? '' : 's'}${calls === undefined ? '' : `, ${calls} tool call${calls === 1 ? '' : 's'}`}`;
}

/**
 * "1 event, 1 no-action": what became of the e-mails, the worker's counts (not the agent's claims).
 * `gaveUp` is read when the ledger reports messages it stopped retrying (disposition `gave_up`).
 */
export function messageCounts(m: NonNullable<SweepReport['messages']> & { gaveUp?: string[] }): string {
  const parts = [
    `${m.events.length} event${m.events.length === 1 ? '' : 's'}`,
    `${m.noAction.length} no-action`,
    ...(m.gaveUp?.length ? [`${m.gaveUp.length} gave up`] : []),
    ...(m.unhandled.length ? [`${m.unhandled.length} unhandled (retried next sweep)`] : []),
    ...(m.remaining ? [`${m.remaining} more waiting beyond this sweep's cap`] : []),
    ...(m.recovered ? [`${m.recovered} recovered from an earlier attempt`] : []),
  ];
  return parts.join(', ');
}

/**
 * The agent's closing words for a person: its machine-readable ```json block is for the worker (which
 * counts from the calendar and ledger, above), so it is left out, and the rest is one bounded line.
 */
export function agentWords(finalMessage: string, max = 240): string {
  const prose = finalMessage
    .replace(/```[a-z]*\s*\n[\s\S]*?```/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return prose.length <= max ? prose : `${prose.slice(0, max - 1).trimEnd()}…`;
}

export function formatReport(r: SweepReport): string {
  const lines = [`Sweep for ${r.identifier}: ${r.outcome.replaceAll('_', ' ')}`];
  if (r.reauthWaits) lines.push(`  waited for re-authorization ${r.reauthWaits} time(s)`);
  if (r.vault) lines.push(`  vault ${r.vault.vaultId} (${r.vault.created ? 'credential created' : 'token updated'})`);
  if (r.messages) lines.push(`  e-mails: ${messageCounts(r.messages)}`);
  if (r.session) {
    const s = r.session;
    const tools = s.toolCalls.length
      ? `${s.toolCalls.length} tool call(s) (${[...new Set(s.toolCalls)].join(', ')})`
      : 'no tool calls';
    lines.push(`  session ${s.sessionId}: ${s.stopReason}, ${tools}${s.toolErrors ? `, ${s.toolErrors} failed` : ''}`);
    if (s.error) lines.push(`  error ${s.error.type}: ${s.error.message}`);
    lines.push(...toolDecisions(s.toolDecisions));
    const words = s.finalMessage ? agentWords(s.finalMessage) : '';
    if (words) lines.push(`  agent: ${words}`);
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
  `${count} unread message(s) set aside (gave_up); ${cli()} retry ${identifier} <messageId> puts one back`;

/** `status` when nothing runs: the last sweep's outcome, when it ended and what became of the e-mails. */
export function formatLastSweep(
  identifier: string,
  last: (SweepListing & { report?: SweepReport }) | undefined,
): string {
  if (!last) return `no running sweep for ${identifier}, and none has run`;
  const state = (last.outcome ?? last.status.toLowerCase()).replaceAll('_', ' ');
  const lines = [`no running sweep for ${identifier}; the last one ended ${last.closedAt ?? '?'}: ${state}`];
  lines.push(`  ${last.workflowId}`);
  if (last.report?.messages) lines.push(`  e-mails: ${messageCounts(last.report.messages)}`);
  lines.push(...toolDecisions(last.report?.session?.toolDecisions));
  return lines.join('\n');
}

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
