// The one shape of a refused form, in the browser and on the server. Every
// form action answers a refusal with it: superforms forms as their form's
// `message` (their field messages in `form.errors`), plain `use:enhance`
// forms (TOTP, passkeys, sessions, admin) as the action's result, with
// `action` naming which form of the page was refused.
//
// A message is shown once: in its field when it belongs to one (`errors`),
// as the form's alert only when it is about the form as a whole (`message`,
// left out by the server when a field message says what is wrong).

/** Messages per field, by the form's field names. */
export type FieldErrors = Record<string, string[] | undefined>;

export interface Refusal {
  /** What is wrong with the form as a whole (its alert); none when a field message says it. */
  message?: string;
  /** Messages per field, shown under their fields. */
  errors?: FieldErrors;
  /** For a wait (429): the seconds to wait, for the page's countdown. */
  retryAfterSeconds?: number;
  /** For a wait (429): what is throttled, without the wait ("… from your network."), from the auth package. */
  waitReason?: string;
}

/** True when one of `errors` has a message. */
export function hasFieldErrors(errors: FieldErrors | undefined): boolean {
  return Object.values(errors ?? {}).some((messages) => !!messages?.length);
}
