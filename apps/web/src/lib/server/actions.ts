// What the form actions share: reading and checking the posted form, turning
// auth failures into form results (field messages with 400, a generic message
// for bad credentials, 429 with the wait for throttling), and sending a
// session that is not fresh to re-enter the password.
import { isAuthError, type ThrottleScope } from '@authkit/auth';
import { error, fail, redirect, type ActionFailure, type RequestEvent } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { describeWait } from '#lib/format.ts';
import { formFields, type FieldErrors } from '#lib/forms.ts';
import { keepPendingForm, pendingFormOwner, type PendingForm } from './pending-form.ts';

export const UNAVAILABLE_MESSAGE =
  'The service is temporarily unavailable. Please try again in a moment.';

export interface FormFailure {
  /** Values to put back in the form (never passwords). */
  values?: Record<string, string>;
  errors?: FieldErrors;
  message?: string;
  retryAfterSeconds?: number;
  /** For a 429: what is throttled, without the wait ("... from your network."), for the page's countdown. */
  waitReason?: string;
}

/**
 * The posted form. A body that is not a readable form (a broken multipart
 * body, text/plain) is a 400 and one over the size limit a 413, never a 500.
 */
export async function readFormData(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch (caught) {
    // Over BODY_SIZE_LIMIT, the body stream fails with SvelteKit's 413 error.
    if (caught instanceof Error && 'status' in caught && caught.status === 413) {
      error(413, 'The form is too large.');
    }
    error(400, 'The form could not be read. Please try again.');
  }
}

/** The posted form's text fields (see `formFields` and `readFormData`). */
export async function readFormFields(request: Request): Promise<Record<string, string>> {
  return formFields(await readFormData(request));
}

/** The page's `next` query parameter: where its form sends the visitor afterwards. */
export function nextFromQuery({ url }: { url: URL }): { next: string } {
  return { next: url.searchParams.get('next') ?? '' };
}

const WAIT_REASONS: Record<ThrottleScope, string> = {
  account: 'Too many failed sign-in attempts for this account.',
  address: 'Too many failed sign-in attempts from your network.',
  device: 'Too many failed sign-in attempts from this browser.',
  registration: 'Too many sign-ups from your network.',
  passkey: 'Too many passkey requests.',
};

/** The answer to an email change (on /account, or completed after re-authentication). */
export function emailChangeSent(email: string): string {
  return `We sent a link to ${email}; your address changes when you open it.`;
}

/** What a throttled request for a mailed link waits for (per name or user, per address, per trusted browser). */
export const LINK_WAIT_REASONS: Partial<Record<ThrottleScope, string>> = {
  account: 'Several links were sent for this account in the last hour.',
  address: 'Too many links were asked for from your network.',
  device: 'Several links were asked for from this browser in the last hour.',
};

/**
 * The form result for an error thrown by the auth package; anything else
 * (including an unavailable database) is thrown again for handleError.
 * `waitReasons` replaces the sign-in wording of a 429 for other quotas.
 */
export function authFailure(
  caught: unknown,
  values: Record<string, string>,
  setHeaders: (headers: Record<string, string>) => void,
  waitReasons: Partial<Record<ThrottleScope, string>> = {},
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
      // Says whether the account or the network is the cause; the same for
      // accounts that do not exist, so it tells an attacker nothing.
      const scope = caught.scope ?? 'address';
      const waitReason = waitReasons[scope] ?? WAIT_REASONS[scope];
      return fail(429, {
        values,
        retryAfterSeconds: seconds,
        waitReason,
        message: `${waitReason} Try again in ${describeWait(seconds)}.`,
      });
    }
    default:
      return fail(caught.status, { values, message: caught.message });
  }
}

/**
 * Sends a session that is not fresh to re-enter the password, then back to
 * `next`. With `pending`, what the visitor typed into the form (never
 * passwords) comes back with them, to finish the change with one more press.
 */
export function toReauth(event: RequestEvent, next: string, pending?: PendingForm): never {
  const { user, session } = event.locals;
  if (pending && user && session) {
    keepPendingForm(event, pendingFormOwner(user, session), pending);
  }
  setFlash(event.cookies, event.url, {
    type: 'warning',
    message: pending
      ? 'For your security, please confirm your password to finish your change.'
      : 'For your security, please confirm your password to continue.',
  });
  redirect(303, `/account/reauth?${new URLSearchParams({ next })}`);
}

/**
 * An auth error from a signed-in user's change (revoking a session, an admin
 * action): a stale session is sent to re-enter the password and come back to
 * `next`; any other refusal is the status and message for the form.
 */
export function refusedChange(
  caught: unknown,
  event: RequestEvent,
  next: string,
): { status: number; message: string } {
  if (isAuthError(caught, 'NEEDS_REFRESH')) toReauth(event, next);
  const failure = authFailure(caught, {}, event.setHeaders);
  return { status: failure.status, message: failure.data.message ?? '' };
}
