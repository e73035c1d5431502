import type { Response } from 'express';
import { HttpError } from '../common/http.js';

/** Anthropic's error `type` for each status, so the SDK maps it to the same error class as in production. */
export function errorTypeFor(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    // Anthropic's error table has no conflict type: a 409 is an `invalid_request_error` (AN-SK
    // managed-agents-api-reference, error example "Event sent to an archived session").
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** Writes `{type:'error', error:{type, message}, request_id}`, the body every Anthropic API error carries. */
export function writeAnthropicError(res: Response, status: number, message: string, type?: string): void {
  if (res.headersSent) {
    // A stream already started: the only honest failure left is dropping the connection.
    res.destroy();
    return;
  }
  res.status(status).json({
    type: 'error',
    error: { type: type ?? errorTypeFor(status), message },
    request_id: String(res.getHeader('request-id') ?? ''),
  });
}

export const invalidRequest = (message: string): HttpError => new HttpError(400, message);
export const conflict = (message: string): HttpError => new HttpError(409, message);
/**
 * A 409 for a request the session's state refuses (archive while running, send after archive). The
 * API reference's error table gives these 409s `error.type: "invalid_request_error"` ("there is no
 * separate conflict_error type"; shared/specs/real-service-evidence.md A35).
 */
export const stateConflict = (message: string): HttpError => new HttpError(409, message, 'invalid_request_error');
export const notFound = (kind: string, id: string): HttpError => new HttpError(404, `${kind} ${id} not found`);
