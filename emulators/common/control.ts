import { z } from 'zod';

/**
 * Faults, latency and call counters shared by every emulator. A route is named
 * `METHOD /path/template` (e.g. `POST /v1/sessions`, `GET /v1/sessions/:id/events/stream`)
 * or `grpc <Method>` for gRPC calls, so tests name routes the way the wire names them.
 */
export const faultRuleSchema = z.object({
  /** Route key, or `*` for every route. */
  route: z.string().min(1),
  /** HTTP status to answer instead of the real handler. */
  status: z.number().int().min(400).max(599).optional(),
  /** Probability in [0, 1] that a matching call is hit. */
  rate: z.number().min(0).max(1).default(1),
  /** Hit at most this many calls, then the rule retires. */
  times: z.number().int().positive().optional(),
  /** Added before the call is answered (or failed). */
  latencyMs: z.number().int().min(0).optional(),
  /** For streaming routes: close the stream after this many events. */
  cutAfterEvents: z.number().int().min(0).optional(),
});
export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema>;

export interface FaultDecision {
  status?: number;
  cutAfterEvents?: number;
}

export class Control {
  private readonly counters = new Map<string, number>();
  private faults: Array<FaultRule & { hits: number }> = [];

  constructor(private readonly random: () => number = Math.random) {}

  inject(rule: FaultRuleInput): void {
    this.faults.push({ ...faultRuleSchema.parse(rule), hits: 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  calls(route?: string): number {
    if (route !== undefined) return this.counters.get(route) ?? 0;
    let total = 0;
    for (const n of this.counters.values()) total += n;
    return total;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  reset(): void {
    this.counters.clear();
    this.clearFaults();
  }

  /** Counts the call, waits out any latency, and says which fault (if any) hits it. */
  async enter(route: string): Promise<FaultDecision> {
    this.counters.set(route, (this.counters.get(route) ?? 0) + 1);
    const decision: FaultDecision = {};
    let latency = 0;
    for (const rule of this.faults) {
      if (rule.route !== '*' && rule.route !== route) continue;
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      if (this.random() >= rule.rate) continue;
      rule.hits += 1;
      latency += rule.latencyMs ?? 0;
      if (rule.status !== undefined && decision.status === undefined) decision.status = rule.status;
      if (rule.cutAfterEvents !== undefined && decision.cutAfterEvents === undefined) {
        decision.cutAfterEvents = rule.cutAfterEvents;
      }
    }
    this.faults = this.faults.filter((r) => r.times === undefined || r.hits < r.times);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    return decision;
  }
}
