// "n failed sign-in attempts since your last visit": counted at sign-in, kept
// in a short-lived HttpOnly cookie for the dashboard, which shows it once.
import type { Cookies } from '@sveltejs/kit';

const COOKIE = 'failed_signins';
const PATH = '/dashboard';

export function noteFailedSignIns(cookies: Cookies, url: URL, count: number): void {
  cookies.set(COOKIE, String(count), {
    path: PATH,
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
    maxAge: 10 * 60,
  });
}

/** The count noted at sign-in (0 when none), read once: the cookie is cleared. */
export function takeFailedSignIns(cookies: Cookies): number {
  const value = cookies.get(COOKIE);
  if (value === undefined) return 0;
  cookies.delete(COOKIE, { path: PATH });
  const count = Number(value);
  return Number.isInteger(count) && count > 0 ? Math.min(count, 1_000_000) : 0;
}
