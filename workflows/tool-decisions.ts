import type { ToolDecisionRecord } from './contract.js';

const WORDS: Record<ToolDecisionRecord['decision'], string> = { allow: 'allowed', propose: 'proposed', deny: 'denied' };
const ORDER: ReadonlyArray<ToolDecisionRecord['decision']> = ['allow', 'propose', 'deny'];

/**
 * What the tool policy decided, for people: one totals line, then one line per tool, decision and
 * reason (with a count, and the message ids of denied calls, so an operator can find the email).
 * Shared by the Web UI's current details (workflow) and `status`/the report (CLI), so both say the
 * same. Reasons are fixed per rule (activities/tool-policy.ts) and message ids are opaque: no mail
 * text can reach either.
 */
export function toolDecisionLines(decisions: readonly ToolDecisionRecord[]): { totals: string; lines: string[] } {
  const count = (kind: ToolDecisionRecord['decision']) => decisions.filter((d) => d.decision === kind).length;
  const totals = ORDER.filter((k) => count(k) > 0)
    .map((k) => `${count(k)} ${WORDS[k]}`)
    .join(', ');
  const groups = new Map<string, { d: ToolDecisionRecord; n: number; messages: Set<string> }>();
  for (const d of decisions) {
    const key = JSON.stringify([ORDER.indexOf(d.decision), d.tool, d.reason]);
    const group = groups.get(key) ?? { d, n: 0, messages: new Set<string>() };
    group.n += 1;
    if (d.decision === 'deny' && d.messageId) group.messages.add(d.messageId);
    groups.set(key, group);
  }
  const lines = [...groups.keys()].sort().map((key) => {
    const { d, n, messages } = groups.get(key)!;
    const about = messages.size ? ` (message ${[...messages].join(', ')})` : '';
    return `${WORDS[d.decision]} ${d.tool}${n > 1 ? ` ×${n}` : ''}: ${d.reason}${about}`;
  });
  return { totals: totals || 'none', lines };
}
