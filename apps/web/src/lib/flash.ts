// Flash messages: one message that survives a redirect, shown once on the next
// page. Kept in a short-lived, HttpOnly cookie; the root layout reads and clears it.

export type FlashType = 'success' | 'info' | 'warning' | 'error';

export interface Flash {
  type: FlashType;
  message: string;
}

export const FLASH_COOKIE = 'flash';
/** Long enough for a redirect round trip, short enough not to linger. */
export const FLASH_MAX_AGE_SECONDS = 60;

const types: readonly FlashType[] = ['success', 'info', 'warning', 'error'];

/** What SvelteKit's `cookies` offers (the subset used here). */
export interface FlashCookies {
  get(name: string): string | undefined;
  set(
    name: string,
    value: string,
    options: { path: string; httpOnly: boolean; sameSite: 'lax'; secure: boolean; maxAge: number },
  ): void;
  delete(name: string, options: { path: string }): void;
}

export function encodeFlash(flash: Flash): string {
  return JSON.stringify({ type: flash.type, message: flash.message });
}

/** Null for a missing or tampered cookie. */
export function decodeFlash(raw: string | undefined): Flash | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const { type, message } = value as Record<string, unknown>;
    if (typeof type !== 'string' || !types.includes(type as FlashType)) return null;
    if (typeof message !== 'string' || message.length === 0 || message.length > 500) return null;
    return { type: type as FlashType, message };
  } catch {
    return null;
  }
}

/** Sets the message for the next page; call before `redirect()`. */
export function setFlash(cookies: FlashCookies, url: URL, flash: Flash): void {
  cookies.set(FLASH_COOKIE, encodeFlash(flash), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
    maxAge: FLASH_MAX_AGE_SECONDS,
  });
}

/** Reads the pending message, if any, and clears it so it shows only once. */
export function takeFlash(cookies: FlashCookies): Flash | null {
  const raw = cookies.get(FLASH_COOKIE);
  if (raw === undefined) return null;
  cookies.delete(FLASH_COOKIE, { path: '/' });
  return decodeFlash(raw);
}
