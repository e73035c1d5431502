/**
 * Errors shared by every process (worker, client, `npm start`): a neutral module, so the client
 * need not import the worker to recognise a configuration problem.
 */

/** A configuration problem, reported as one line that names the variable (exit 2). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Temporal did not answer the first connection: its message is one line with the address and what to check. */
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
}

/**
 * One line for a Temporal that does not answer, whoever connects (CLI, worker, callback): the address
 * and what to check, instead of the native client's multi-line TransportError.
 */
export function temporalUnreachable(address: string, err: unknown, check: string): string {
  const message = err instanceof Error ? err.message : String(err);
  // The native client nests the OS error in Rust debug output ("… Os { code: 111, kind: ConnectionRefused …"):
  // its kind is the part a person needs.
  const kind = /kind: (\w+)/.exec(message)?.[1];
  const reason = kind
    ? kind.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
    : message.split('\n')[0]!.replace(/\s+/g, ' ').slice(0, 120);
  return `cannot reach Temporal at ${address} (${reason}); ${check}`;
}
