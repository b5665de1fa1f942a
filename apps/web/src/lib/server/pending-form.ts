// What a visitor typed into a fresh-only form that was sent to re-enter the
// password first (toReauth). It waits in a short-lived, HttpOnly cookie, bound
// to the user, and comes back once, to fill the form in again on /account.
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
  const stored: Stored = { userId, action: pending.action, values };
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
  const raw = cookies.get(PENDING_FORM_COOKIE);
  if (raw === undefined) return null;
  cookies.delete(PENDING_FORM_COOKIE, { path: '/account' });
  try {
    const stored = JSON.parse(raw) as Partial<Stored> | null;
    if (!stored || stored.userId !== userId || typeof stored.action !== 'string') return null;
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(stored.values ?? {})) {
      if (typeof value === 'string' && value.length <= MAX_VALUE_LENGTH) values[name] = value;
    }
    return { action: stored.action, values };
  } catch {
    return null;
  }
}
