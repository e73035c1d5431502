import type { ConnectionsReport, ProvisionResult, SweepReport, SweepStatus } from '../workflows/contract.js';

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
      : `✗ ${c.connection}: ${c.status}${c.authLink ? `\n    authorize: ${c.authLink}\n    (link made ${c.linkCreatedAt}; it expires within minutes)` : ''}`,
  );
  const tail = r.inactive.length
    ? `${r.inactive.length} connection(s) need the user's authorization.`
    : 'All connections are active.';
  return [`Connections of ${r.identifier}:`, ...lines, tail].join('\n');
}

export function formatStatus(workflowId: string, s: SweepStatus): string {
  const lines = [`${workflowId}: ${s.phase.replaceAll('_', ' ')}${s.waitingBecause ? ` (${s.waitingBecause})` : ''}`];
  if (s.inactiveConnections.length) lines.push(`  inactive: ${s.inactiveConnections.join(', ')}`);
  for (const link of s.authLinks) lines.push(`  ${link.connection}: ${link.url} (made ${link.createdAt ?? '?'})`);
  if (s.reauthDeadline) lines.push(`  waiting for re-authorization until ${s.reauthDeadline}`);
  if (s.sessionId) lines.push(`  session ${s.sessionId}, ${s.progress?.eventsSeen ?? 0} events so far`);
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
  lines.push(`  ${r.startedAt} → ${r.finishedAt}`);
  return lines.join('\n');
}
