// The browser side of the site's forms, on top of sveltekit-superforms: the
// page's zod schema checks the form in the browser (every rule at submit,
// each error cleared as its field is fixed), and what the server refused
// stays shown until the visitor edits that field. The inputs are the shared
// Field/PasswordField components, which are not bound to `$form`: the form's
// input events fill it instead; `field(name)` gives each its props.
import { tick } from 'svelte';
import { derived, fromStore, get, writable, type Readable } from 'svelte/store';
import { superForm, type SuperValidated } from 'sveltekit-superforms';
import { fieldNames, PASSWORD_FIELDS } from './schemas.ts';
import type { FieldErrors, Refusal } from './refusal.ts';
import { zod4Client } from './zod-adapter.ts';

/** A new password and the field that repeats it: a refused password empties both. */
const CONFIRMATIONS: Record<string, string> = {
  password: 'confirm',
  newPassword: 'confirmPassword',
};

/** What `<Field>` and `<PasswordField>` take from the form: spread it, `<Field {...field('email')} label="Email" />`. */
export interface FieldProps {
  name: string;
  /** What the form holds for it (never for a password: those are not sent back or kept). */
  value?: string;
  /** Its messages: the server's until the field is edited, then the browser's. */
  errors: string[] | undefined;
  /** The form's first invalid field: focused on load, also without JavaScript. */
  autofocus: boolean;
}

export interface AuthForm {
  /** The form's values, as the browser knows them (used by the client-side checks). */
  form: Readable<Record<string, unknown>>;
  /** The messages to show per field: the server's until that field is edited, then the browser's. */
  errors: Readable<FieldErrors>;
  /** The server's refusal as the form's alert, unless field messages already say what is wrong. */
  notice: Readable<Refusal | undefined>;
  /** True while the form is being sent (the button's busy state). */
  submitting: Readable<boolean>;
  /** The first field with a message: it gets `autofocus` in the server-rendered page. */
  firstInvalid: Readable<string | undefined>;
  /** `use:enhance` for the <form>. */
  enhance: (form: HTMLFormElement) => { destroy(): void };
  /** The props of the input named `name` (its name, value, messages and autofocus), to spread. */
  field: (name: string) => FieldProps;
}

interface AuthFormOptions {
  /**
   * More messages per field at submit only, for checks too slow to run as
   * the visitor types (the password strength estimator); shown with the
   * schema's messages, in the same round.
   */
  submitCheck?: (values: Record<string, unknown>) => Promise<FieldErrors>;
}

function inputValue(
  target: EventTarget | null,
): { name: string; value: string | undefined } | null {
  if (!(target instanceof HTMLInputElement) || !target.name) return null;
  if (target.type === 'checkbox')
    return { name: target.name, value: target.checked ? target.value : undefined };
  return { name: target.name, value: target.value };
}

/**
 * Once the messages show, the first invalid field takes the focus (on phones
 * too): its message is announced once, through aria-describedby.
 */
async function focusFirstInvalid(form: HTMLFormElement): Promise<void> {
  await tick();
  form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

/**
 * A superforms form, checked by `schema`. Its fields are the schema's, in its
 * order (the first invalid one gets the focus); `initial` is the load's
 * `emptyForm` (its `id` tells the forms of one page apart).
 *
 * (A list of field names as the third argument, the former signature, is
 * still taken, with the options fourth.)
 */
export function authForm(
  initial: SuperValidated<Record<string, unknown>, Refusal>,
  schema: Parameters<typeof zod4Client>[0],
  options?: AuthFormOptions,
): AuthForm;
/** @deprecated The fields come from the schema: leave the list out. */
export function authForm(
  initial: SuperValidated<Record<string, unknown>, Refusal>,
  schema: Parameters<typeof zod4Client>[0],
  fields: readonly string[],
  options?: AuthFormOptions,
): AuthForm;
export function authForm(
  initial: SuperValidated<Record<string, unknown>, Refusal>,
  schema: Parameters<typeof zod4Client>[0],
  fieldsOrOptions: readonly string[] | AuthFormOptions = {},
  moreOptions: AuthFormOptions = {},
): AuthForm {
  const listed = Array.isArray(fieldsOrOptions);
  const fields: readonly string[] = listed ? fieldsOrOptions : fieldNames(schema);
  const options: AuthFormOptions = listed ? moreOptions : (fieldsOrOptions as AuthFormOptions);
  /** What the last server answer refused, and the values it refused. */
  const server = writable<{ errors: FieldErrors; values: Record<string, unknown> }>({
    errors: {},
    values: {},
  });

  let formElement: HTMLFormElement | undefined;
  /** The fields that had a message after the last submit: the browser's messages show for these. */
  const flagged = writable<Set<string>>(new Set());
  const sf = superForm<Record<string, unknown>, Refusal>(initial, {
    validators: zod4Client(schema),
    // The browser checks the form at submit (every rule at once, see
    // onSubmit) and, once a field has a message, again as it is edited, so
    // the message goes away as soon as the field is fixed. superforms would
    // also show new messages when a field is left ('auto'): `errors` below
    // holds those back until the next submit, so the button never moves away
    // under the visitor's click.
    validationMethod: 'auto',
    // The page stays as it is after a refusal; a success redirects.
    resetForm: false,
    taintedMessage: null,
    // Focus moves to the first invalid field (focusFirstInvalid): superforms'
    // own focus looks for it before the page shows the messages.
    scrollToError: 'off',
    autoFocusOnError: false,
    async onSubmit({ formData, formElement, cancel }) {
      // What is submitted is what the inputs hold (typed before the page's
      // JavaScript ran, or filled in by a password manager): check that.
      const current = get(sf.form);
      const posted: Record<string, unknown> = {};
      for (const name of fields) {
        const value = formData.get(name);
        posted[name] = typeof value === 'string' ? value : undefined;
      }
      if (!fields.every((name) => current[name] === posted[name])) {
        // superforms' own 'ignore' (typed internally only): not an edit to
        // check as the visitor types, since it is checked right below.
        sf.form.update((data) => ({ ...data, ...posted }), { taint: 'ignore' as unknown as false });
      }
      // The forms are `novalidate` (the browser's own bubbles would come
      // first, one at a time), which also turns superforms' check at submit
      // off: it is run here instead, every message at once.
      const checked = await sf.validateForm({ update: true, focusOnError: false });
      const errors: FieldErrors = { ...(checked.errors as FieldErrors) };
      const extra = options.submitCheck ? await options.submitCheck(get(sf.form)) : {};
      for (const [name, messages] of Object.entries(extra)) {
        if (messages?.length && !errors[name]?.length) errors[name] = messages;
      }
      const failed = fields.filter((name) => errors[name]?.length);
      if (failed.length === 0) return;
      cancel();
      if (Object.keys(extra).length > 0) sf.errors.set(errors as never);
      flagged.set(new Set(failed));
      await focusFirstInvalid(formElement);
    },
    onUpdate({ form, formElement }) {
      // The server's answers always carry a message; the browser's own check does not.
      if (!form.message) return;
      const data = form.data;
      const errors = form.errors as FieldErrors;
      const fieldFailed = fields.some((name) => errors[name]?.length);
      const refused = new Set<string>();
      for (const name of PASSWORD_FIELDS) {
        if (!fields.includes(name)) continue;
        // A refusal without field messages (wrong credentials, a wait) is about the password too.
        if (!fieldFailed || errors[name]?.length) {
          refused.add(name);
          const confirmation = CONFIRMATIONS[name];
          if (confirmation) refused.add(confirmation);
        }
      }
      // The server never sends a password back: keep what was typed, unless refused.
      for (const name of PASSWORD_FIELDS) {
        if (!fields.includes(name)) continue;
        const input = formElement.querySelector<HTMLInputElement>(`input[name="${name}"]`);
        if (!input) continue;
        if (refused.has(name)) input.value = '';
        data[name] = input.value;
      }
    },
    async onUpdated({ form }) {
      const errors = form.errors as FieldErrors;
      flagged.set(new Set(fields.filter((name) => errors[name]?.length)));
      if (form.message) {
        server.set({ errors: { ...(form.errors as FieldErrors) }, values: { ...form.data } });
      }
      if (!form.valid && formElement) await focusFirstInvalid(formElement);
    },
  });

  // A page rendered after a refused post (no JavaScript) shows its messages.
  const initialErrors = get(sf.errors) as FieldErrors;
  flagged.set(new Set(fields.filter((name) => initialErrors[name]?.length)));

  const errors = derived(
    [sf.errors, sf.form, server, flagged],
    ([$errors, $form, $server, $flagged]) => {
      const shown: FieldErrors = {};
      for (const name of fields) {
        const own = ($errors as FieldErrors)[name];
        if (own?.length && $flagged.has(name)) shown[name] = own;
        const refused = $server.errors[name];
        if (refused?.length && $form[name] === $server.values[name]) shown[name] = refused;
      }
      return shown;
    },
  );

  const notice = derived([sf.message, errors], ([$message, $errors]) =>
    Object.values($errors).some((messages) => messages?.length) ? undefined : $message,
  );

  const firstInvalid = derived(errors, ($errors) => fields.find((name) => $errors[name]?.length));

  function enhance(element: HTMLFormElement) {
    formElement = element;
    // Registered before superforms' own listener, as a bound input would be.
    const onInput = (event: Event) => {
      const input = inputValue(event.target);
      if (!input || !fields.includes(input.name)) return;
      if (get(sf.form)[input.name] === input.value) return;
      sf.form.update((data) => ({ ...data, [input.name]: input.value }));
    };
    element.addEventListener('input', onInput);
    const enhanced = sf.enhance(element);
    // Tells tests (and styles) that the form is handled by this script now.
    element.dataset.enhanced = '';
    return {
      destroy() {
        formElement = undefined;
        element.removeEventListener('input', onInput);
        enhanced.destroy();
      },
    };
  }

  // Read in the page's markup: `.current` is reactive there (and in effects).
  const values = fromStore(sf.form);
  const shownErrors = fromStore(errors);
  const first = fromStore(firstInvalid);
  const passwords: readonly string[] = PASSWORD_FIELDS;

  function field(name: string): FieldProps {
    const value = values.current[name];
    return {
      name,
      ...(passwords.includes(name) ? {} : { value: typeof value === 'string' ? value : undefined }),
      errors: shownErrors.current[name],
      autofocus: first.current === name,
    };
  }

  return {
    form: sf.form,
    errors,
    notice,
    submitting: sf.submitting,
    firstInvalid,
    enhance,
    field,
  };
}

/**
 * `autofocus` for the form's first invalid field, so a page rendered by the
 * server after a refused submit (no JavaScript) lands on it. A spread
 * (`{...autofocus($firstInvalid, 'email')}`) for components that pass it on.
 */
export function autofocus(first: string | undefined, name: string): { autofocus?: true } {
  return first === name ? { autofocus: true } : {};
}
