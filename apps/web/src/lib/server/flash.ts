// Setting and taking the flash message ($lib/flash.ts): a signed cookie
// (signed-cookie.ts), `__Host-flash` on https. A forged or tampered one is
// ignored and cleared: nobody but this site puts text on its pages.
import { parseFlash, type Flash } from '#lib/flash.ts';
import { setSignedCookie, takeSignedCookie, type CookieJar } from './signed-cookie.ts';

export const FLASH_COOKIE = 'flash';
/** Long enough for a redirect round trip, short enough not to linger. */
export const FLASH_MAX_AGE_SECONDS = 60;

/** Sets the message for the next page; call before `redirect()`. */
export function setFlash(cookies: Pick<CookieJar, 'set'>, url: URL, flash: Flash): void {
  const value = {
    type: flash.type,
    message: flash.message,
    scope: flash.scope,
    link: flash.link,
    expiresAt: Date.now() + FLASH_MAX_AGE_SECONDS * 1000,
  };
  setSignedCookie({ cookies, url }, 'flash', FLASH_COOKIE, value, FLASH_MAX_AGE_SECONDS);
}

/** Reads the pending message, if any, and clears it so it shows only once. */
export function takeFlash(cookies: Pick<CookieJar, 'get' | 'delete'>, url: URL): Flash | null {
  const value = takeSignedCookie({ cookies, url }, 'flash', FLASH_COOKIE);
  if (typeof value !== 'object' || value === null) return null;
  const { expiresAt } = value as { expiresAt?: unknown };
  if (typeof expiresAt !== 'number' || expiresAt < Date.now()) return null;
  return parseFlash(value);
}
