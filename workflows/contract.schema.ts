/**
 * The public contract's shapes, defined once: these zod schemas are the source of the TypeScript
 * types (`z.input`/`z.output`, exported here and re-exported type-only by `contract.ts`), of the
 * JSON Schemas a starter in any language reads (`docs/schemas/*.json`, `npm run schemas`) and of the
 * one input parser the client, the CLI and the worker's first activity use (`parseSweepInput`).
 *
 * zod stays out of the workflow bundle (it was the largest project-side cost of creating each
 * workflow context, see issue 18): workflow code may import this module's types only (a lint rule
 * says so, and test/unit/workflow-bundle.test.ts fails when zod is bundled). The workflow keeps its
 * own cheap checks in `input.ts`, typed by `SweepSettings` below so the two cannot drift apart.
 */
import { ApplicationFailure } from '@temporalio/common';
import ms from 'ms';
import { z } from 'zod';
import {
  APPROVAL_MODES,
  DEFAULT_APPROVAL_TIMEOUT,
  DEFAULT_MAX_EMAILS,
  DEFAULT_REAUTH_TIMEOUT,
  DEFAULT_RECHECK_EVERY,
  DEFAULT_REMIND_EVERY,
  DEFAULT_SESSION_TIMEOUT,
  ErrorType,
  IDENTIFIER_PATTERN,
  IDENTIFIER_RULE,
  MAX_APPROVAL_TIMEOUT_MS,
  MAX_DECIDED_BY_CHARS,
  MAX_MAX_EMAILS,
  MAX_REASON_CHARS,
  MAX_REAUTH_TIMEOUT_MS,
  MAX_SESSION_TIMEOUT_MS,
  NO_PROMPT_RULE,
} from './contract.js';
import { readDuration, show } from './input.js';
import { limits } from './limits.js';

const DURATION_HINT = 'expected a duration like 30s, 15m, 1h';

/** A Temporal duration: milliseconds, or a string such as "7 days", "30s", "1h". */
export const DurationSchema = z
  .union([z.number().positive({ error: 'must be longer than zero' }), z.string().min(1)], { error: DURATION_HINT })
  .meta({ description: 'milliseconds, or a duration string such as "7 days", "30s", "1h"' });

/**
 * An optional duration field, in milliseconds once parsed (the parser Temporal itself uses), within
 * its bounds, `fallback` when absent. The description gets the default and the cap from the same
 * constants the parser uses, so the published schema cannot restate them wrongly.
 */
function durationField(fallback: string, bounds: { maxMs?: number; minMs?: () => number }, description: string) {
  const cap = bounds.maxMs === undefined ? '' : `, at most ${ms(bounds.maxMs, { long: true })}`;
  return DurationSchema.optional()
    .transform((value, ctx) => {
      const millis = readDuration(value ?? fallback, bounds.maxMs, bounds.minMs?.());
      if (typeof millis === 'number') return millis;
      ctx.issues.push({ code: 'custom', message: millis.problem, input: value });
      return z.NEVER;
    })
    .meta({ description: `${description} (default ${fallback}${cap})` });
}

export const IdentifierSchema = z
  .string({ error: `expected ${IDENTIFIER_RULE}` })
  .regex(IDENTIFIER_PATTERN, { error: `expected ${IDENTIFIER_RULE}` })
  .meta({
    description: 'an opaque user ID (never an e-mail address): it appears in workflow IDs and search attributes',
  });

const maxEmailsRule = { error: `expected 1-${MAX_MAX_EMAILS}` };

/**
 * The one argument of `inboxSweep`. Input: what a starter sends (`SweepInput`); output: what a
 * sweep runs with (`SweepSettings`): every default applied, every duration in milliseconds.
 */
export const SweepInputSchema = z
  .strictObject({
    identifier: IdentifierSchema,
    reauthTimeout: durationField(
      DEFAULT_REAUTH_TIMEOUT,
      { maxMs: MAX_REAUTH_TIMEOUT_MS },
      'how long to wait for re-authorization in total',
    ),
    sessionTimeout: durationField(
      DEFAULT_SESSION_TIMEOUT,
      { maxMs: MAX_SESSION_TIMEOUT_MS },
      'the longest the agent session may run; sizes the session token too',
    ),
    maxEmails: z
      .number(maxEmailsRule)
      .int(maxEmailsRule)
      .min(1, maxEmailsRule)
      .max(MAX_MAX_EMAILS, maxEmailsRule)
      .default(DEFAULT_MAX_EMAILS)
      .meta({ description: 'at most this many unhandled e-mails per sweep, oldest first' }),
    eventForEveryEmail: z
      .boolean()
      .default(false)
      .meta({ description: "the guide's behaviour: an event for every e-mail, no no-action judgement" }),
    recheckEvery: durationField(
      DEFAULT_RECHECK_EVERY,
      { minMs: () => limits().minRecheckEveryMs },
      'while waiting for re-authorization, re-check the connections this often',
    ),
    remindEvery: durationField(
      DEFAULT_REMIND_EVERY,
      { minMs: () => limits().minRemindEveryMs },
      'while waiting, remind the user with a fresh link this often, after one at once',
    ),
    approvalTimeout: durationField(
      DEFAULT_APPROVAL_TIMEOUT,
      { maxMs: MAX_APPROVAL_TIMEOUT_MS },
      'approval mode ask: how long proposed events wait for the user; then denied',
    ),
  })
  .meta({ title: 'SweepInput', description: 'The one argument of the inboxSweep workflow.' });

/** What a starter sends: the identifier, and any option it sets. */
export type SweepInput = z.input<typeof SweepInputSchema>;
/** What a sweep runs with: defaults applied, durations in milliseconds. */
export type SweepSettings = z.output<typeof SweepInputSchema>;

/** One failed check of a sweep input: the field (when it is one) and one line that names it. */
export interface SweepInputProblem {
  field?: string;
  message: string;
}

/** `SweepInput` as any starter may send it, checked against the schema: the settings, or the first problem. */
export function checkSweepInputSchema(
  input: unknown,
): { success: true; data: SweepSettings } | { success: false; problem: SweepInputProblem } {
  const parsed = SweepInputSchema.safeParse(input);
  if (parsed.success) return parsed;
  const issue = parsed.error.issues[0]!;
  const [field] = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const message = issue.keys.includes('prompt')
      ? `sweep input has a prompt: ${NO_PROMPT_RULE}`
      : `invalid sweep input: unknown field ${issue.keys.map((k) => show(k)).join(', ')}`;
    return { success: false, problem: { message } };
  }
  if (typeof field !== 'string') {
    return { success: false, problem: { message: 'invalid sweep input: expected an object with an identifier' } };
  }
  const value = (input as Record<string, unknown>)[field];
  return { success: false, problem: { field, message: `invalid ${field} ${show(value)}: ${issue.message}` } };
}

/**
 * The one parser of sweep input, for the client (which turns the failure into its own error), the
 * CLI (which names its flags instead of the fields) and the worker's first activity of a sweep, so a
 * starter other than ours that sends bad input fails with one line naming the field.
 */
export function parseSweepInput(input: unknown): SweepSettings {
  const checked = checkSweepInputSchema(input);
  if (!checked.success) throw ApplicationFailure.nonRetryable(checked.problem.message, ErrorType.InvalidRequest);
  return checked.data;
}

export const SweepOutcomeSchema = z
  .enum(['completed', 'nothing_new', 'partial', 'session_failed', 'reauth_timed_out', 'delegated'])
  .meta({ title: 'SweepOutcome', description: 'How a sweep ended; also the InboxSweepOutcome search attribute.' });

export const SweepPhaseSchema = z
  .enum([
    'delegating',
    'checking_connections',
    'awaiting_reauthorization',
    'awaiting_approval',
    'minting_token',
    'updating_vault',
    'reading_inbox',
    'running_session',
    'recording',
    ...SweepOutcomeSchema.options,
  ])
  .meta({ title: 'SweepPhase', description: 'What a sweep is doing; also the InboxSweepPhase search attribute.' });

export const ConnectionStateSchema = z.object({
  connection: z.string(),
  status: z.string().meta({ description: 'ACTIVE, EXPIRED, PENDING_AUTH, PENDING_VERIFICATION, DISCONNECTED, …' }),
  authLink: z.string().optional(),
  linkCreatedAt: z.string().optional(),
  linkExpiresAt: z.string().optional().meta({ description: 'when Scalekit stops honouring the link (~1 minute)' }),
});

export const ApprovalModeSchema = z
  .enum(APPROVAL_MODES)
  .meta({ title: 'ApprovalMode', description: 'auto: the worker confirms allowed events; ask: the user decides each' });

export const ProposalSchema = z
  .object({
    id: z.string(),
    messageId: z.string(),
    title: z.string(),
    start: z.string().meta({ description: 'RFC 3339' }),
    end: z.string().meta({ description: 'RFC 3339' }),
    description: z.string().meta({ description: "ends with the message's marker line" }),
  })
  .meta({ title: 'Proposal', description: 'An event the policy allowed, waiting for the user (approval mode ask).' });

export const ProposalViewSchema = ProposalSchema.extend({
  state: z.enum(['pending', 'approved', 'denied']),
  reason: z.string().optional(),
  eventId: z.string().optional(),
});

export const ApprovalReportSchema = z.object({
  approved: z.array(z.object({ id: z.string(), messageId: z.string(), eventId: z.string() })),
  denied: z.array(z.object({ id: z.string(), messageId: z.string(), reason: z.string() })),
  timedOut: z.boolean().meta({ description: 'the wait ran out: every proposal still pending then was denied' }),
});

export const DecideProposalsInputSchema = z
  .strictObject({
    decisions: z
      .array(
        z.strictObject({
          id: z.string().min(1).max(100),
          decision: z.enum(['approve', 'deny']),
          reason: z.string().max(MAX_REASON_CHARS).optional(),
        }),
      )
      .min(1),
    by: z.string().max(MAX_DECIDED_BY_CHARS).optional(),
  })
  .meta({ title: 'DecideProposalsInput', description: 'The argument of the decideProposals Update.' });

/** One tool-policy decision: the tool, the decision and a fixed reason; never mail text. */
export const ToolDecisionRecordSchema = z.object({
  tool: z.string(),
  decision: z.enum(['allow', 'deny', 'propose']),
  reason: z.string(),
  messageId: z.string().optional(),
});

export const SweepStatusSchema = z
  .object({
    identifier: z.string(),
    phase: SweepPhaseSchema,
    waitingBecause: z.string().optional(),
    inactiveConnections: z.array(z.string()),
    authLinks: z.array(
      z.object({
        connection: z.string(),
        url: z.string(),
        createdAt: z.string().optional(),
        expiresAt: z
          .string()
          .optional()
          .meta({ description: 'links live about a minute; auth-links makes fresh ones' }),
      }),
    ),
    reauthDeadline: z.string().optional().meta({ description: 'ISO time the re-authorization wait ends' }),
    waitingSince: z.string().optional(),
    nextRecheckAt: z.string().optional().meta({ description: 'when the connections are re-checked without a signal' }),
    reauthSignals: z.number().int(),
    sessionId: z.string().optional(),
    setAside: z
      .number()
      .int()
      .optional()
      .meta({ description: 'unread messages set aside (gave_up) after 3 sessions: `cli retry` brings one back' }),
    progress: z
      .object({
        eventsSeen: z.number().int(),
        lastEventId: z.string().optional(),
        toolCalls: z.number().int().optional(),
      })
      .optional(),
    approval: ApprovalModeSchema.optional(),
    proposals: z.array(ProposalViewSchema).optional(),
    approvalDeadline: z.string().optional().meta({ description: 'when proposals still pending are denied' }),
    toolDecisions: z.array(ToolDecisionRecordSchema).optional().meta({
      description: "the tool policy's decisions in this sweep's sessions: tool, decision, reason; never mail text",
    }),
  })
  .meta({ title: 'SweepStatus', description: 'The answer of the status query.' });

/** An event creation the gate allowed; `eventId` is what the creation returned (only it may count). */
export const AllowedEventSchema = z.object({
  messageId: z.string(),
  toolUseId: z.string(),
  eventId: z.string().optional(),
});

export const AgentSessionSummarySchema = z.object({
  sessionId: z.string(),
  stopReason: z.string(),
  toolCalls: z.array(z.string()),
  finalMessage: z.string(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
  error: z.object({ type: z.string(), message: z.string() }).optional(),
  toolErrors: z.number().int().meta({ description: 'MCP tool results with is_error' }),
  reportedNoAction: z.array(z.string()).meta({
    description: 'message ids the agent judged to need no action, each in the turn about that message',
  }),
  toolDecisions: z
    .array(ToolDecisionRecordSchema)
    .meta({ description: "the tool policy's decision for each tool call held for confirmation; never mail text" }),
  allowedEvents: z
    .array(AllowedEventSchema)
    .meta({ description: 'event creations the tool policy allowed, with the event id they returned' }),
  proposals: z.array(ProposalSchema).optional(),
});

export const HandledReportSchema = z.object({
  events: z.array(z.object({ messageId: z.string(), eventId: z.string() })),
  noAction: z.array(z.string()),
  unhandled: z.array(z.string()),
  gaveUp: z
    .array(z.string())
    .meta({ description: 'set aside by this sweep after 3 sessions did not handle them: `cli retry` brings one back' }),
});

export const SweepReportSchema = z
  .object({
    identifier: z.string(),
    outcome: SweepOutcomeSchema,
    startedAt: z.string(),
    finishedAt: z.string(),
    reauthWaits: z.number().int(),
    vault: z.object({ vaultId: z.string(), credentialId: z.string(), created: z.boolean() }).optional(),
    session: AgentSessionSummarySchema.optional().meta({ description: 'the last agent session' }),
    sessions: z.number().int(),
    messages: HandledReportSchema.extend({
      remaining: z.number().int(),
      recovered: z.number().int(),
      setAside: z
        .number()
        .int()
        .optional()
        .meta({ description: 'unread messages set aside (gave_up) so far, by this sweep or earlier ones' }),
      unreadCapped: z
        .boolean()
        .optional()
        .meta({ description: 'the unread scan stopped at its bound: older unread mail was not seen' }),
    })
      .optional()
      .meta({ description: "what became of the e-mails, across the sweep's sessions" }),
    sweep: z
      .object({ workflowId: z.string(), runId: z.string() })
      .optional()
      .meta({ description: 'for delegated: the sweep run this start attached to or started' }),
    approval: ApprovalReportSchema.optional().meta({ description: 'approval mode ask: what the user decided' }),
  })
  .meta({ title: 'SweepReport', description: 'The result of the inboxSweep workflow.' });

export const ReauthorizedSignalSchema = z
  .object({ note: z.string().optional().meta({ description: 'who or what says the user re-authorized' }) })
  .meta({ title: 'ReauthorizedSignal', description: 'The optional argument of the reauthorized signal.' });

/** Every schema published in `docs/schemas/`, by file name. */
export const contractSchemas = {
  'sweep-input': SweepInputSchema,
  'sweep-report': SweepReportSchema,
  'sweep-status': SweepStatusSchema,
  'reauthorized-signal': ReauthorizedSignalSchema,
  'decide-proposals': DecideProposalsInputSchema,
} as const;

// The contract's types, inferred from the schemas above (`contract.ts` re-exports them type-only).
export type SweepOutcome = z.infer<typeof SweepOutcomeSchema>;
export type SweepPhase = z.infer<typeof SweepPhaseSchema>;
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;
export type ApprovalMode = z.infer<typeof ApprovalModeSchema>;
export type Proposal = z.infer<typeof ProposalSchema>;
export type ProposalView = z.infer<typeof ProposalViewSchema>;
export type ApprovalReport = z.infer<typeof ApprovalReportSchema>;
export type DecideProposalsInput = z.input<typeof DecideProposalsInputSchema>;
export type ProposalDecision = DecideProposalsInput['decisions'][number]['decision'];
export type SweepStatus = z.infer<typeof SweepStatusSchema>;
export type ToolDecisionRecord = z.infer<typeof ToolDecisionRecordSchema>;
export type AllowedEvent = z.infer<typeof AllowedEventSchema>;
export type AgentSessionSummary = z.infer<typeof AgentSessionSummarySchema>;
export type HandledReport = z.infer<typeof HandledReportSchema>;
export type SweepReport = z.infer<typeof SweepReportSchema>;
export type ReauthorizedSignal = z.infer<typeof ReauthorizedSignalSchema>;
