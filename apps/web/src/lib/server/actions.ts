// Turning auth failures into form results: field messages with 400, a
// generic message for bad credentials, 429 with the wait for throttling.
import { isAuthError } from '@authkit/auth';
import { fail, type ActionFailure } from '@sveltejs/kit';
import type { FieldErrors } from '#lib/forms.ts';

export const UNAVAILABLE_MESSAGE =
  'The service is temporarily unavailable. Please try again in a moment.';

export interface FormFailure {
  /** Values to put back in the form (never passwords). */
  values?: Record<string, string>;
  errors?: FieldErrors;
  message?: string;
  retryAfterSeconds?: number;
}

/** "30 seconds", "2 minutes" */
export function describeWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/**
 * The form result for an error thrown by the auth package; anything else
 * (including an unavailable database) is thrown again for handleError.
 */
export function authFailure(
  caught: unknown,
  values: Record<string, string>,
  setHeaders: (headers: Record<string, string>) => void,
): ActionFailure<FormFailure> {
  if (!isAuthError(caught) || caught.code === 'UNAVAILABLE') throw caught;
  switch (caught.code) {
    case 'VALIDATION':
      return fail(400, { values, errors: caught.fieldErrors, message: caught.message });
    case 'INVALID_CREDENTIALS':
      return fail(400, { values, message: caught.message });
    case 'THROTTLED': {
      const seconds = Math.max(1, caught.retryAfterSeconds ?? 60);
      setHeaders({ 'retry-after': String(seconds) });
      return fail(429, {
        values,
        retryAfterSeconds: seconds,
        message: `Too many failed attempts. Try again in ${describeWait(seconds)}.`,
      });
    }
    default:
      return fail(caught.status, { values, message: caught.message });
  }
}
