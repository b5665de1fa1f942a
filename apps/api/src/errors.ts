// From the errors the API meets to TRPCErrors, and from TRPCErrors to what a
// client may see: a stable code, per-field messages, a reason; never a stack
// trace or an internal message.
import { AuthError } from '@authkit/auth';
import { authErrorReason, trpcErrorCode } from '@authkit/auth/trpc';
import { isDatabaseUnavailable } from '@authkit/db';
import { TRPCError, type TRPCDefaultErrorShape as DefaultErrorShape } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { z } from 'zod';

/** A cookie-authenticated mutation refused by the CSRF check. */
export class CsrfError extends Error {
  override name = 'CsrfError';
}

/** The database could not be reached, here or somewhere down the cause chain. */
export function isUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (isDatabaseUnavailable(current)) return true;
    if (current instanceof AuthError && current.code === 'UNAVAILABLE') return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/** Maps a known failure to its TRPCError; anything else stays a 500 (a bug). */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) {
    // tRPC wraps what procedures throw; look at the original.
    if (
      error.code === 'INTERNAL_SERVER_ERROR' &&
      error.cause &&
      !(error.cause instanceof TRPCError)
    ) {
      const mapped = toTRPCError(error.cause);
      return mapped.code === 'INTERNAL_SERVER_ERROR' ? error : mapped;
    }
    return error;
  }
  if (error instanceof AuthError) {
    return new TRPCError({ code: trpcErrorCode[error.code], message: error.message, cause: error });
  }
  if (isUnavailable(error)) {
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: unavailableMessage,
      cause: error,
    });
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: error });
}

export const unavailableMessage = 'The service is temporarily unavailable. Try again shortly.';

export interface ErrorData {
  code: DefaultErrorShape['data']['code'];
  httpStatus: number;
  path?: string;
  /** Per-field messages for BAD_REQUEST. */
  fieldErrors?: Record<string, string[]>;
  /** Messages about the input as a whole (e.g. an unknown key). */
  formErrors?: string[];
  /** needs_refresh, inactive, forbidden, invalid_credentials, throttled, csrf. */
  reason?: string;
  retryAfterSeconds?: number;
  /** For a throttled request: what is throttled (account, address, device, registration). */
  scope?: string;
}

/**
 * The root errorFormatter: only what is safe and useful for a client. What a
 * procedure threw reaches it wrapped in a 500 by tRPC; `toTRPCError` gives a
 * known failure its own code, and the HTTP status follows the code.
 */
export function formatError(
  shape: DefaultErrorShape,
  thrown: TRPCError,
): DefaultErrorShape & { data: ErrorData } {
  const error = toTRPCError(thrown);
  const data: ErrorData = { code: error.code, httpStatus: getHTTPStatusCodeFromError(error) };
  if (shape.data.path) data.path = shape.data.path;
  let message = error === thrown ? shape.message : error.message;
  const cause = error.cause;

  if (cause instanceof z.ZodError) {
    const flat = z.flattenError(cause);
    data.fieldErrors = flat.fieldErrors as Record<string, string[]>;
    if (flat.formErrors.length > 0) data.formErrors = flat.formErrors;
    message = 'Invalid input.';
  } else if (cause instanceof AuthError) {
    if (cause.code === 'VALIDATION') data.fieldErrors = cause.fieldErrors;
    const reason = authErrorReason(cause);
    if (reason) data.reason = reason;
    if (cause.retryAfterSeconds !== null) data.retryAfterSeconds = cause.retryAfterSeconds;
    if (cause.scope !== null) data.scope = cause.scope;
  } else if (cause instanceof CsrfError) {
    data.reason = 'csrf';
  } else if (cause instanceof SyntaxError) {
    // tRPC passes JSON.parse's message on, and V8's quotes the input around
    // the error: a fragment of a password would go back in the answer.
    message = 'The input is not valid JSON.';
  }

  if (error.code === 'INTERNAL_SERVER_ERROR') message = 'Internal server error.';
  if (error.code === 'SERVICE_UNAVAILABLE') message = unavailableMessage;
  // No `stack` in data, in any environment: the log has it.
  return { code: TRPC_ERROR_CODES_BY_KEY[error.code], message, data };
}

/** Seconds for a Retry-After header, when one of the errors is a throttle. */
export function retryAfterSeconds(errors: readonly TRPCError[]): number | null {
  for (const error of errors) {
    if (error.cause instanceof AuthError && error.cause.code === 'THROTTLED') {
      return Math.max(1, Math.ceil(error.cause.retryAfterSeconds ?? 1));
    }
  }
  return null;
}
