import { Code } from '@connectrpc/connect';
import type { z } from 'zod';
import { HttpError, type ErrorWriter } from '../common/http.js';

/** HTTP status → gRPC code, as the SDK's `base-exception.js` maps them back. */
const GRPC_CODE_BY_STATUS: Record<number, Code> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.AlreadyExists,
  429: Code.ResourceExhausted,
  500: Code.Internal,
  501: Code.Unimplemented,
  503: Code.Unavailable,
  504: Code.DeadlineExceeded,
};

/** Error codes whose gRPC code is not the default for their HTTP status (400 covers 3, 9 and 11). */
const GRPC_CODE_BY_ERROR_CODE: Record<string, Code> = {
  CONNECTED_ACCOUNT_NOT_ACTIVE: Code.FailedPrecondition,
  FAILED_PRECONDITION: Code.FailedPrecondition,
};

export function grpcCode(status: number, errorCode?: string): Code {
  return (
    (errorCode === undefined ? undefined : GRPC_CODE_BY_ERROR_CODE[errorCode]) ??
    GRPC_CODE_BY_STATUS[status] ??
    Code.Unknown
  );
}

export function defaultErrorCode(status: number): string {
  return Code[grpcCode(status)].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/**
 * grpc-gateway's error body: `{code, message, details:[ErrorInfo]}` with the gRPC code as a number.
 * An empty `type` writes no details (an answer that names no error code).
 */
export const writeRestError: ErrorWriter = (res, status, message, type) => {
  const errorCode = type ?? defaultErrorCode(status);
  res.status(status).json({
    code: grpcCode(status, errorCode || undefined),
    message,
    details: errorCode
      ? [{ '@type': 'type.googleapis.com/scalekit.v1.errdetails.ErrorInfo', error_code: errorCode }]
      : [],
  });
};

/** Parses a request part, answering 400 INVALID_ARGUMENT with zod's account of what is wrong. */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  throw new HttpError(400, `invalid request: ${issues.join('; ')}`, 'INVALID_ARGUMENT');
}
