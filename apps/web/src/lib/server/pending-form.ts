// What a visitor typed into a fresh-only form that was sent to re-enter the
// password first (toReauth). It waits in a short-lived, HttpOnly cookie, bound
// to the user. After the password, /account/reauth completes an email change
// itself; anything else (or a change refused then, with its message) comes
// back once, to fill the form in again on /account.
// Only the fields a form names are kept: never passwords or one-time codes.
import type { Cookies } from '@sveltejs/kit';

export const PENDING_FORM_COOKIE = 'authkit_pending_form';
/** Long enough to find and type the password; short enough not to linger. */
const MAX_AGE_SECONDS = 15 * 60;
/** Bounds what a cookie may carry back (an address, a passkey name). */
const MAX_VALUE_LENGTH = 320;

export interface PendingForm {
  /** The form action that was interrupted (`email`, `passkeyRename`). */
  action: string;
  values: Record<string, string>;
  /** Messages per field, when completing the change was refused. */
  errors?: Record<string, string[]>;
}

interface Stored extends PendingForm {
  userId: string;
}

export function keepPendingForm(
  event: { cookies: Cookies; url: URL },
  userId: string,
  pending: PendingForm,
): void {
  const values = Object.fromEntries(
    Object.entries(pending.values).map(([name, value]) => [name, value.slice(0, MAX_VALUE_LENGTH)]),
  );
  const stored: Stored = { userId, action: pending.action, values, errors: pending.errors };
  event.cookies.set(PENDING_FORM_COOKIE, JSON.stringify(stored), {
    path: '/account',
    httpOnly: true,
    sameSite: 'lax',
    secure: event.url.protocol === 'https:',
    maxAge: MAX_AGE_SECONDS,
  });
}

/** The kept form of this user, once (the cookie is cleared); null for none, another user's, or a tampered one. */
export function takePendingForm(cookies: Cookies, userId: string): PendingForm | null {
  const pending = readPendingForm(cookies, userId);
  clearPendingForm(cookies);
  return pending;
}

/** The kept form of this user, left in place; null for none, another user's, or a tampered one. */
export function readPendingForm(cookies: Cookies, userId: string): PendingForm | null {
  const raw = cookies.get(PENDING_FORM_COOKIE);
  if (raw === undefined) return null;
  try {
    const stored = JSON.parse(raw) as Partial<Stored> | null;
    if (!stored || stored.userId !== userId || typeof stored.action !== 'string') return null;
    const pending: PendingForm = { action: stored.action, values: shortStrings(stored.values) };
    if (stored.errors && typeof stored.errors === 'object') {
      pending.errors = {};
      for (const [name, messages] of Object.entries(stored.errors)) {
        if (Array.isArray(messages)) {
          pending.errors[name] = messages.filter(
            (message): message is string =>
              typeof message === 'string' && message.length <= MAX_VALUE_LENGTH,
          );
        }
      }
    }
    return pending;
  } catch {
    return null;
  }
}

export function clearPendingForm(cookies: Cookies): void {
  cookies.delete(PENDING_FORM_COOKIE, { path: '/account' });
}

function shortStrings(values: unknown): Record<string, string> {
  const kept: Record<string, string> = {};
  if (!values || typeof values !== 'object') return kept;
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string' && value.length <= MAX_VALUE_LENGTH) kept[name] = value;
  }
  return kept;
}
