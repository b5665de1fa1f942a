// Form actions with superforms: the posted form checked by the page's zod
// schema (`checkForm`), refusals as `fail(status, { form })` with a message
// (`refuseForm`, `authRefusal`). A refused form never carries a password or
// a one-time code back.
import type { ThrottleScope } from '@authkit/auth';
import type { ActionFailure, RequestEvent } from '@sveltejs/kit';
import { message, superValidate, type SuperValidated } from 'sveltekit-superforms';
import { SECRET_FIELDS, type FieldErrors, type FormNotice } from '#lib/forms.ts';
import { zod4 } from '#lib/zod-adapter.ts';
import { authFailure, readFormData } from './actions.ts';

type Schema = Parameters<typeof zod4>[0];
type Output<S extends Schema> = S['_zod']['output'];
export type Form<S extends Schema> = SuperValidated<Output<S>, FormNotice>;
export type FormRefusal<S extends Schema> = ActionFailure<{ form: Form<S> }>;

export const INVALID_FORM_MESSAGE = 'Please correct the highlighted fields.';

/**
 * The text fields of a posted form, for superforms: the first value of each
 * name, files left out (so they count as missing) and superforms' own fields
 * dropped: a form posts plain fields (its JSON mode, `__superform_json`, is
 * not used) and the action, not the client, names the form (`id`).
 */
function textFields(data: FormData): FormData {
  const fields = new FormData();
  for (const [name, value] of data) {
    if (typeof value !== 'string' || fields.has(name) || name.startsWith('__superform_')) continue;
    fields.append(name, value);
  }
  return fields;
}

/** An empty form for the page's load (`id` when the page has several forms). */
export function emptyForm<S extends Schema>(schema: S, id?: string): Promise<Form<S>> {
  return superValidate(zod4(schema), id ? { id } : undefined) as Promise<Form<S>>;
}

/**
 * Reads the posted form (413 when too large, 400 when unreadable) and checks
 * it with `schema`. On bad input, `refusal` is the 400 to return.
 */
export async function checkForm<S extends Schema>(
  event: Pick<RequestEvent, 'request'>,
  schema: S,
  options: { id?: string; message?: string } = {},
): Promise<
  | { form: Form<S>; data: Output<S>; refusal?: undefined }
  | { form: Form<S>; refusal: FormRefusal<S> }
> {
  const posted = textFields(await readFormData(event.request));
  const form = (await superValidate(
    posted,
    zod4(schema),
    options.id ? { id: options.id } : undefined,
  )) as Form<S>;
  if (!form.valid)
    return { form, refusal: refuseForm(form, options.message ?? INVALID_FORM_MESSAGE) };
  return { form, data: form.data };
}

/** The form refused with `status` and a message; its passwords and codes emptied. */
export function refuseForm<S extends Schema>(
  form: Form<S>,
  text: string,
  status = 400,
  wait: Omit<FormNotice, 'text'> = {},
): FormRefusal<S> {
  const data = form.data as Record<string, unknown>;
  for (const name of SECRET_FIELDS) if (name in data) data[name] = '';
  const notice: FormNotice = { text, ...wait };
  return message(form, notice, { status: status as 400 }) as FormRefusal<S>;
}

/**
 * The refusal for an error thrown by the auth package (see `authFailure`):
 * field messages with 400, a generic message for bad credentials, 429 with
 * Retry-After and the wait. Anything else is thrown again for handleError.
 */
export function authRefusal<S extends Schema>(
  caught: unknown,
  form: Form<S>,
  event: Pick<RequestEvent, 'setHeaders'>,
  waitReasons: Partial<Record<ThrottleScope, string>> = {},
): FormRefusal<S> {
  const failure = authFailure(caught, {}, event.setHeaders, waitReasons);
  const errors = form.errors as FieldErrors;
  for (const [name, messages] of Object.entries(failure.data.errors ?? {})) {
    if (messages?.length) errors[name] = messages;
  }
  return refuseForm(form, failure.data.message ?? '', failure.status, {
    retryAfterSeconds: failure.data.retryAfterSeconds,
    waitReason: failure.data.waitReason,
  });
}
