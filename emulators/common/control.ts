import { z } from 'zod';

/**
 * Faults, latency, rate limits and call counters shared by every emulator. A route is named
 * `METHOD /path/template` (e.g. `POST /v1/sessions`, `GET /v1/sessions/:id/events/stream`)
 * or `grpc <Method>` for gRPC calls, so tests name routes the way the wire names them.
 */
export const faultRuleSchema = z.object({
  /** Route key, or `*` for every route. */
  route: z.string().min(1),
  /** HTTP status to answer instead of the real handler. */
  status: z.number().int().min(400).max(599).optional(),
  /** The service's own error code for that answer (Scalekit `error_code`, Anthropic `error.type`). */
  errorCode: z.string().min(1).optional(),
  /** For a 429 or 503: how long the answer asks the client to wait (`retry-after-ms`, and `retry-after` rounded up). */
  retryAfterMs: z.number().int().min(0).optional(),
  /**
   * Only calls whose User-Agent starts with this: one client among several on a shared route (the
   * worker's own MCP calls, not the agent's, on the Virtual MCP server).
   */
  userAgent: z.string().min(1).optional(),
  /**
   * Only MCP `tools/call` requests for this tool, as the wire names it (prefix included): a fault
   * placed on one tool whatever else the agent or the worker calls before it.
   */
  tool: z.string().min(1).optional(),
  /** Probability in [0, 1] that a matching call is hit. */
  rate: z.number().min(0).max(1).default(1),
  /** Let this many matching calls through before the rule starts hitting (e.g. fail only a session's second booking). */
  skip: z.number().int().min(0).default(0),
  /** Hit at most this many calls, then the rule retires. */
  times: z.number().int().positive().optional(),
  /**
   * With `status`: do the work first, then answer with the fault instead of the result: a response
   * lost after the service acted (a created session the client never hears of).
   */
  afterWork: z.boolean().optional(),
  /** Added before the call is answered (or failed). */
  latencyMs: z.number().int().min(0).optional(),
  /** For streaming routes: close the stream after this many events. */
  cutAfterEvents: z.number().int().min(0).optional(),
  /** For SSE routes: send an `event: error` frame after this many events, then end the stream. */
  errorFrameAfterEvents: z.number().int().min(0).optional(),
});
export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema>;

export const rateLimitSchema = z.object({
  /** Requests a key may make at once (the bucket's size). */
  burst: z.number().int().positive(),
  /** Tokens added back per second. */
  perSecond: z.number().positive(),
  /** Whether 429s say how long to wait; off models a service that documents no `retry-after`. Default on. */
  retryAfter: z.boolean().default(true),
});
export type RateLimitInput = z.input<typeof rateLimitSchema>;
export type RateLimit = z.output<typeof rateLimitSchema>;

export interface FaultDecision {
  status?: number;
  errorCode?: string;
  /** How long a 429/503 asks the client to wait; written as `retry-after-ms` and `retry-after`. */
  retryAfterMs?: number;
  /** The handler runs first; its answer is replaced by the fault. */
  afterWork?: boolean;
  cutAfterEvents?: number;
  errorFrameAfterEvents?: number;
}

/** A 429 the rate limiter answered, for tests that check the client waited as asked. */
export interface Throttled {
  route: string;
  key: string;
  at: number;
  retryAfterMs: number;
}

/**
 * A token bucket per API key: the shape of the services' documented per-key limits. Hand-rolled:
 * it is a dozen lines, and the emulator needs the exact wait to put in `retry-after-ms`.
 */
class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number,
  ) {}

  /** Takes a token for `key`; when there is none, returns how long until there is one (ms). */
  take(key: string): number | undefined {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) / this.limit.perSecond) * 1000));
  }
}

export class Control {
  private readonly counters = new Map<string, number>();
  private faults: Array<FaultRule & { hits: number; matched: number }> = [];
  private buckets?: TokenBuckets;
  private throttledCalls: Throttled[] = [];

  constructor(
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  inject(rule: FaultRuleInput): void {
    this.faults.push({ ...faultRuleSchema.parse(rule), hits: 0, matched: 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Turns the per-key rate limit on (a fresh bucket per key), or off with `undefined`. Off by default. */
  rateLimit(limit: RateLimitInput | undefined): void {
    this.buckets = limit === undefined ? undefined : new TokenBuckets(rateLimitSchema.parse(limit), this.now);
  }

  /** The 429s the rate limiter answered, oldest first. */
  throttled(): Throttled[] {
    return [...this.throttledCalls];
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
    this.rateLimit(undefined);
    this.throttledCalls = [];
  }

  /**
   * Counts the call, waits out any latency, and says which fault (if any) hits it. `key` is the
   * caller's API key or client id; with a rate limit on, a caller over its limit gets a 429.
   */
  async enter(route: string, key?: string, userAgent?: string, tool?: string): Promise<FaultDecision> {
    this.counters.set(route, (this.counters.get(route) ?? 0) + 1);
    const decision: FaultDecision = {};
    let latency = 0;
    for (const rule of this.faults) {
      if (rule.route !== '*' && rule.route !== route) continue;
      if (rule.userAgent !== undefined && !userAgent?.startsWith(rule.userAgent)) continue;
      if (rule.tool !== undefined && rule.tool !== tool) continue;
      if (++rule.matched <= rule.skip) continue;
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      if (this.random() >= rule.rate) continue;
      rule.hits += 1;
      latency += rule.latencyMs ?? 0;
      if (rule.status !== undefined && decision.status === undefined) {
        decision.status = rule.status;
        decision.errorCode = rule.errorCode;
        decision.retryAfterMs = rule.retryAfterMs;
        decision.afterWork = rule.afterWork;
      }
      if (rule.cutAfterEvents !== undefined && decision.cutAfterEvents === undefined) {
        decision.cutAfterEvents = rule.cutAfterEvents;
      }
      if (rule.errorFrameAfterEvents !== undefined && decision.errorFrameAfterEvents === undefined) {
        decision.errorFrameAfterEvents = rule.errorFrameAfterEvents;
      }
    }
    this.faults = this.faults.filter((r) => r.times === undefined || r.hits < r.times);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (decision.status === undefined && this.buckets && key !== undefined) {
      const waitMs = this.buckets.take(key);
      if (waitMs !== undefined) {
        this.throttledCalls.push({ route, key, at: this.now(), retryAfterMs: waitMs });
        decision.status = 429;
        if (this.buckets.limit.retryAfter) decision.retryAfterMs = waitMs;
      }
    }
    return decision;
  }
}
