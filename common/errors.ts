/**
 * Errors shared by every process (worker, client, `npm start`): a neutral module, so the client
 * need not import the worker to recognise a configuration problem.
 */

/** A configuration problem, reported as one line that names the variable (exit 2). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
