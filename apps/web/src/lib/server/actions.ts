// What the form actions share: reading the posted form (an unreadable body is
// a 400, an oversized one a 413) and checking it with the page's schema
// (`checkForm`, for superforms), turning auth errors into the one refusal
// shape (`refusalFor`; see #lib/refusal.ts), answering refusals (`refuseForm`
// and `authRefusal` for superforms forms, `refuse` for plain ones), and
// sending a session that is not fresh to re-enter the password. A refusal
// never carries a password or a one-time code back.
import { isAuthError } from '@authkit/auth';
import { error, fail, redirect, type ActionFailure, type RequestEvent } from '@sveltejs/kit';
import { message, superValidate, type SuperValidated } from 'sveltekit-superforms';
import { setFlash } from '#lib/server/flash.ts';
import { describeWait } from '#lib/format.ts';
import { hasFieldErrors, type FieldErrors, type Refusal } from '#lib/refusal.ts';
import { SECRET_FIELDS } from '#lib/schemas.ts';
import { zod4 } from '#lib/zod-adapter.ts';
import { keepPendingForm, pendingFormOwner, type PendingForm } from './pending-form.ts';

export const UNAVAILABLE_MESSAGE =
  'The service is temporarily unavailable. Please try again in a moment.';

export const INVALID_FORM_MESSAGE = 'Please correct the highlighted fields.';

type Schema = Parameters<typeof zod4>[0];
type Output<S extends Schema> = S['_zod']['output'];
/** A superforms form of `S`; its `message` is the refusal (without `errors`: superforms has its own). */
export type Form<S extends Schema> = SuperValidated<Output<S>, Refusal>;
export type FormRefusal<S extends Schema> = ActionFailure<{ form: Form<S> }>;

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

/**
 * The text fields of a posted form: the first value of each name, files left
 * out (so they count as missing) and superforms' own fields dropped: a form
 * posts plain fields (its JSON mode, `__superform_json`, is not used) and the
 * action, not the client, names the form (`id`).
 */
function textFields(data: FormData): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [name, value] of data) {
    if (typeof value !== 'string' || fields.has(name) || name.startsWith('__superform_')) continue;
    fields.set(name, value);
  }
  return fields;
}

/** The posted form's text fields as a plain object (see `textFields` and `readFormData`). */
export async function readFormFields(request: Request): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const [name, value] of textFields(await readFormData(request))) {
    // Not an own `__proto__` key: no field of these forms is named so.
    if (name !== '__proto__') fields[name] = value;
  }
  return fields;
}

/** The page's `next` query parameter: where its form sends the visitor afterwards. */
export function nextFromQuery({ url }: { url: URL }): { next: string } {
  return { next: url.searchParams.get('next') ?? '' };
}

/** The answer to an email change (on /account, or completed after re-authentication). */
export function emailChangeSent(email: string): string {
  return `We sent a link to ${email}; your address changes when you open it.`;
}

/** An empty superforms form for the page's load (`id` when the page has several forms). */
export function emptyForm<S extends Schema>(schema: S, id?: string): Promise<Form<S>> {
  return superValidate(zod4(schema), id ? { id } : undefined) as Promise<Form<S>>;
}

/**
 * Reads the posted form (413 when too large, 400 when unreadable) and checks
 * it with `schema`. On bad input, `refusal` is the 400 to return: the field
 * messages, and `message` only when none of them names a field.
 */
export async function checkForm<S extends Schema>(
  event: Pick<RequestEvent, 'request'>,
  schema: S,
  options: { id?: string; message?: string } = {},
): Promise<
  | { form: Form<S>; data: Output<S>; refusal?: undefined }
  | { form: Form<S>; refusal: FormRefusal<S> }
> {
  const posted = new FormData();
  for (const [name, value] of textFields(await readFormData(event.request))) {
    posted.append(name, value);
  }
  const form = (await superValidate(
    posted,
    zod4(schema),
    options.id ? { id: options.id } : undefined,
  )) as Form<S>;
  if (!form.valid) {
    return {
      form,
      refusal: refuseForm(form, 400, { message: options.message ?? INVALID_FORM_MESSAGE }),
    };
  }
  return { form, data: form.data };
}

/**
 * The refusal for an error thrown by the auth package: field messages (400),
 * one message for bad credentials, and for a wait (429, with Retry-After)
 * the seconds and the package's reason. Anything else (an unavailable
 * database included) is thrown again for handleError.
 */
export function refusalFor(
  caught: unknown,
  event: Pick<RequestEvent, 'setHeaders'>,
): { status: number; refusal: Refusal } {
  if (!isAuthError(caught) || caught.code === 'UNAVAILABLE') throw caught;
  switch (caught.code) {
    case 'VALIDATION':
      return { status: 400, refusal: { errors: caught.fieldErrors, message: caught.message } };
    case 'INVALID_CREDENTIALS':
      return { status: 400, refusal: { message: caught.message } };
    case 'THROTTLED': {
      const seconds = Math.max(1, caught.retryAfterSeconds ?? 60);
      event.setHeaders({ 'retry-after': String(seconds) });
      // Says whether the account or the network is the cause; the same for
      // accounts that do not exist, so it tells an attacker nothing.
      const waitReason = caught.waitReason ?? undefined;
      return {
        status: 429,
        refusal: {
          retryAfterSeconds: seconds,
          waitReason,
          // In the words the page's countdown uses once it runs.
          message: waitReason
            ? `${waitReason} Try again in ${describeWait(seconds)}.`
            : caught.message,
        },
      };
    }
    default:
      return { status: caught.status, refusal: { message: caught.message } };
  }
}

/**
 * The refusal as the page shows it, each message once: the messages of the
 * form's `fields` under those fields, and the form-level message only when
 * none of them has one. A field message for a field the form does not show
 * is the form's message (it is more precise than "correct the fields").
 */
function shownOnce(refusal: Refusal, fields: readonly string[]): Refusal {
  const { message: text, errors = {}, ...wait } = refusal;
  const shown: FieldErrors = {};
  for (const name of fields) if (errors[name]?.length) shown[name] = errors[name];
  if (hasFieldErrors(shown)) return { errors: shown, ...wait };
  const elsewhere = Object.values(errors).find((messages) => messages?.length)?.[0];
  return { message: elsewhere ?? text, ...wait };
}

/**
 * A plain (`use:enhance`) form refused: `action` names the page's form,
 * `fields` are the fields it shows messages under (see `shownOnce`).
 */
export function refuse(
  status: number,
  action: string,
  refusal: Refusal,
  fields: readonly string[] = [],
): ActionFailure<Refusal & { action: string; errors: FieldErrors }> {
  const shown = shownOnce(refusal, fields);
  return fail(status, { action, ...shown, errors: shown.errors ?? {} });
}

/**
 * A superforms form refused with `status`: the messages of its fields in
 * `form.errors` (with `refusal.errors` added), the form-level message only
 * when none of them has one (see `shownOnce`); its passwords and codes emptied.
 */
export function refuseForm<S extends Schema>(
  form: Form<S>,
  status: number,
  refusal: Refusal,
): FormRefusal<S> {
  const data = form.data as Record<string, unknown>;
  for (const name of SECRET_FIELDS) if (name in data) data[name] = '';
  const fields = Object.keys(data);
  const errors = form.errors as FieldErrors;
  for (const [name, messages] of Object.entries(refusal.errors ?? {})) {
    if (messages?.length && fields.includes(name)) errors[name] = messages;
  }
  const notice = shownOnce({ ...refusal, errors: { ...refusal.errors, ...errors } }, fields);
  // The field messages are superforms' own `form.errors`. superforms needs a
  // message in every answer: the page tells the server's answers by it.
  delete notice.errors;
  return message(form, notice, { status: status as 400 }) as FormRefusal<S>;
}

/** `refuseForm` for an error thrown by the auth package (see `refusalFor`). */
export function authRefusal<S extends Schema>(
  caught: unknown,
  form: Form<S>,
  event: Pick<RequestEvent, 'setHeaders'>,
): FormRefusal<S> {
  const { status, refusal } = refusalFor(caught, event);
  return refuseForm(form, status, refusal);
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
  const { status, refusal } = refusalFor(caught, event);
  // These forms show no field: a field's message is the form's.
  return { status, message: shownOnce(refusal, []).message ?? '' };
}
