import { z } from 'zod';

/**
 * ASSUMED: every answer in this module has no public source (shared/specs/real-service-evidence.md,
 * rows A5, B9, B12, D4, D6; emulators/FIDELITY.md). Each is a switch: the default is the reading the
 * emulator has always served, the alternatives are the other forms the evidence allows, so the
 * product's tests can run against each (`configure()`, or `PUT /_emulator/samples`).
 */
export const samplesSchema = z.object({
  /**
   * What the Virtual MCP server prepends to the Scalekit tool names in `tools/list` and `tools/call`
   * (A5). Default none; e.g. `scalekit_` for the prefixed reading. Mappings keep the plain names.
   */
  toolNamePrefix: z.string().regex(/^([A-Za-z0-9]+[._:/-]+)?$/, 'a prefix ends with a separator'),
  /** How `connected_account_status` is spelled on REST (B9): `ACTIVE` (docs' samples) or `active` (SK-DEMO). */
  statusCase: z.enum(['upper', 'lower']),
  /**
   * The `error_code` of the mint's 400 when a mapped connection is not ACTIVE (B12), or `none` for an
   * error body without details. Default: a code of its own (gRPC FAILED_PRECONDITION).
   */
  mintRefusalCode: z.enum(['CONNECTED_ACCOUNT_NOT_ACTIVE', 'FAILED_PRECONDITION', 'INVALID_ARGUMENT', 'none']),
  /**
   * The tool error text on an account that is not ACTIVE (D6): naming the status (`status`), or
   * "is not connected" as scalekit-sdk-python describes it (`not_connected`).
   */
  inactiveToolError: z.enum(['status', 'not_connected']),
  /**
   * `gmail_fetch_mails` output (D4): Gmail API message resources in `messages` (`gmail_api`), or a
   * flat `{emails:[{id, from, subject, date}]}` list (`flat`), a shape some connectors use and the
   * worker must refuse rather than read as an empty inbox.
   */
  gmailOutput: z.enum(['gmail_api', 'flat']),
  /**
   * Whether `tools/list` declares each tool's output schema (and results carry `structuredContent`,
   * as MCP then requires): Scalekit documents `output_schema` on tool definitions, not their content.
   */
  outputSchemas: z.enum(['declared', 'none']),
});
export type Samples = z.output<typeof samplesSchema>;

export const DEFAULT_SAMPLES: Samples = {
  toolNamePrefix: '',
  statusCase: 'upper',
  mintRefusalCode: 'CONNECTED_ACCOUNT_NOT_ACTIVE',
  inactiveToolError: 'status',
  gmailOutput: 'gmail_api',
  outputSchemas: 'declared',
};

/** `connected_account_status` as served on REST. */
export const statusAsSent = (samples: Samples, status: string): string =>
  samples.statusCase === 'lower' ? status.toLowerCase() : status;

/** The tool error for an account in `status` (empty: no account). */
export function inactiveToolText(samples: Samples, connection: string, status: string): string {
  return samples.inactiveToolError === 'not_connected'
    ? `The connected account for ${connection} is not connected. Please authorize the connection.`
    : `connected account for ${connection} is ${status || 'NOT_CONNECTED'}; the user must re-authorize`;
}
