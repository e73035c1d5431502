import type { Attempt, HandledMessage, RememberedVault, UserStateStore } from '../../activities/user-state.js';
import type { ApprovalMode } from '../../workflows/contract.js';

/** The state store as the tests use it beside SQLite and PostgreSQL: it forgets everything when the process ends. */
export class MemoryUserStateStore implements UserStateStore {
  private readonly vaults = new Map<string, RememberedVault>();
  private readonly ledger = new Map<string, Map<string, HandledMessage>>();
  private readonly attempts = new Map<string, { count: number; lastId: string }>();
  private readonly approval = new Map<string, ApprovalMode>();

  async getVault(identifier: string) {
    return this.vaults.get(identifier);
  }
  async setVault(identifier: string, ids: RememberedVault) {
    this.vaults.set(identifier, { ...ids });
  }
  async claimVault(identifier: string, vaultId: string, replacing?: string) {
    const recorded = this.vaults.get(identifier);
    if (!recorded || recorded.vaultId === replacing) this.vaults.set(identifier, { vaultId, credentialId: '' });
    return { ...this.vaults.get(identifier)! };
  }
  async hasVaults() {
    return this.vaults.size > 0;
  }
  async handledAmong(identifier: string, messageIds: string[]) {
    const mine = this.ledger.get(identifier);
    return [...new Set(messageIds)].flatMap((id) => (mine?.has(id) ? [{ ...mine.get(id)! }] : []));
  }
  async recordHandled(identifier: string, entries: HandledMessage[]) {
    let mine = this.ledger.get(identifier);
    if (!mine) this.ledger.set(identifier, (mine = new Map()));
    for (const entry of entries) if (!mine.has(entry.messageId)) mine.set(entry.messageId, { ...entry });
  }
  async countAttempts(identifier: string, messageIds: string[], attempt: Attempt) {
    const counts = new Map<string, number>();
    for (const id of new Set(messageIds)) {
      const key = JSON.stringify([identifier, id]);
      const seen = this.attempts.get(key);
      const count = !seen ? 1 : seen.lastId === attempt.id ? seen.count : seen.count + 1;
      this.attempts.set(key, { count, lastId: attempt.id });
      counts.set(id, count);
    }
    return counts;
  }
  async markHandedOver(identifier: string, messageIds: string[]) {
    for (const id of messageIds) {
      const key = JSON.stringify([identifier, id]);
      if (!this.attempts.has(key)) this.attempts.set(key, { count: 0, lastId: '' });
    }
  }
  async handedOverAmong(identifier: string, messageIds: string[]) {
    return new Set(messageIds.filter((id) => this.attempts.has(JSON.stringify([identifier, id]))));
  }
  async retryMessage(identifier: string, messageId: string) {
    const key = JSON.stringify([identifier, messageId]);
    const mine = this.ledger.get(identifier);
    if (mine?.get(messageId)?.disposition !== 'gave_up') return false;
    if (this.attempts.has(key)) this.attempts.set(key, { count: 0, lastId: '' });
    return mine.delete(messageId);
  }
  async getApprovalMode(identifier: string) {
    return this.approval.get(identifier) ?? 'auto';
  }
  async setApprovalMode(identifier: string, mode: ApprovalMode) {
    this.approval.set(identifier, mode);
  }
  private readonly spentStates = new Set<string>();
  async spendConsentState(stateId: string) {
    if (this.spentStates.has(stateId)) return false;
    this.spentStates.add(stateId);
    return true;
  }
  async close() {}
}
