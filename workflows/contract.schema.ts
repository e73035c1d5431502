/**
 * The wire shapes of the sweep contract as zod schemas, so that a starter in any language has a
 * machine-readable contract (`docs/schemas/*.json`, generated from these by `npm run schemas`) and
 * the workflow can check its input against the same definition. zod is plain JavaScript, so this
 * module is safe in the workflow sandbox. The TypeScript interfaces in `contract.ts` stay the names
 * everyone imports; the checks at the bottom keep both in step (a field added to one and not the
 * other fails `npm run typecheck`).
 */
import { z } from 'zod';
import {
  IDENTIFIER_PATTERN,
  type AgentSessionSummary,
  type ApprovalReport,
  type DecideProposalsInput,
  type Proposal,
  type ConnectionState,
  type HandledReport,
  type ReauthorizedSignal,
  type SweepInput,
  type SweepOutcome,
  type SweepPhase,
  type SweepReport,
  type SweepStatus,
} from './contract.js';

/** A Temporal duration: milliseconds, or a string such as "7 days", "30s", "1h". */
export const DurationSchema = z
  .union([z.number().positive(), z.string().min(1)])
  .meta({ description: 'milliseconds, or a duration string such as "7 days", "30s", "1h"' });

export const IdentifierSchema = z.string().regex(IDENTIFIER_PATTERN).meta({
  description: 'an opaque user ID (never an e-mail address): it appears in workflow IDs and search attributes',
});

export const SweepInputSchema = z
  .strictObject({
    identifier: IdentifierSchema,
    reauthTimeout: DurationSchema.optional().meta({
      description: 'how long to wait for re-authorization in total, at most 30 days (default 7 days)',
    }),
    sessionTimeout: DurationSchema.optional().meta({
      description: 'the longest the agent session may run, at most 23 hours (default 1 hour)',
    }),
    maxEmails: z
      .number()
      .int()
      .min(1)
      .max(50)
      .optional()
      .meta({ description: 'at most this many unhandled e-mails per sweep, oldest first (default 5)' }),
    eventForEveryEmail: z
      .boolean()
      .optional()
      .meta({ description: "the guide's behaviour: an event for every e-mail, no no-action judgement" }),
    recheckEvery: DurationSchema.optional().meta({
      description: 'while waiting for re-authorization, re-check the connections this often (default 1 hour)',
    }),
    remindEvery: DurationSchema.optional().meta({
      description: 'while waiting, remind the user with a fresh link this often, after one at once (default 1 day)',
    }),
    approvalTimeout: DurationSchema.optional().meta({
      description:
        'approval mode ask: how long proposed events wait for the user, at most 30 days (default 24 hours); then denied',
    }),
  })
  .meta({ title: 'SweepInput', description: 'The one argument of the inboxSweep workflow.' });

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
  .enum(['auto', 'ask'])
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

/** At most this long a reason; it goes into history and the ledger. */
export const MAX_REASON_CHARS = 500;

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
    by: z.string().max(200).optional(),
  })
  .meta({ title: 'DecideProposalsInput', description: 'The argument of the decideProposals Update.' });

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
    .array(z.object({ messageId: z.string(), toolUseId: z.string(), eventId: z.string().optional() }))
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

// Compile-time checks that the interfaces of contract.ts and these schemas describe the same shapes:
// every value of the interface is accepted by the schema's type, with the same keys.
type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never] ? true : false;
type Fits<A, B> = [A] extends [B] ? SameKeys<A, B> : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agrees = <T extends true>(): T | undefined => undefined;
agrees<Fits<SweepInput, z.input<typeof SweepInputSchema>>>();
agrees<Same<SweepPhase, z.infer<typeof SweepPhaseSchema>>>();
agrees<Same<SweepOutcome, z.infer<typeof SweepOutcomeSchema>>>();
agrees<Fits<SweepStatus, z.infer<typeof SweepStatusSchema>>>();
agrees<Fits<NonNullable<SweepStatus['progress']>, NonNullable<z.infer<typeof SweepStatusSchema>['progress']>>>();
agrees<Fits<SweepReport, z.infer<typeof SweepReportSchema>>>();
agrees<Fits<AgentSessionSummary, z.infer<typeof AgentSessionSummarySchema>>>();
agrees<Fits<HandledReport, z.infer<typeof HandledReportSchema>>>();
agrees<Fits<ConnectionState, z.infer<typeof ConnectionStateSchema>>>();
agrees<Fits<ReauthorizedSignal, z.infer<typeof ReauthorizedSignalSchema>>>();
agrees<Fits<Proposal, z.infer<typeof ProposalSchema>>>();
agrees<Fits<ApprovalReport, z.infer<typeof ApprovalReportSchema>>>();
agrees<Fits<DecideProposalsInput, z.input<typeof DecideProposalsInputSchema>>>();
