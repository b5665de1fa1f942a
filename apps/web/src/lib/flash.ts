// Flash messages: one message that survives a redirect, shown once on the next
// page. Kept in a short-lived, HttpOnly cookie; the root layout reads and clears it.

export type FlashType = 'success' | 'info' | 'warning' | 'error';

/**
 * Where a message belongs when not at the top of the page: a part of the page
 * that shows it beside what changed (the account page's sessions card).
 */
export type FlashScope = 'sessions';

export interface Flash {
  type: FlashType;
  message: string;
  /** Absent: the layout shows it at the top of the page. */
  scope?: FlashScope;
}

export const FLASH_COOKIE = 'flash';
/** Long enough for a redirect round trip, short enough not to linger. */
export const FLASH_MAX_AGE_SECONDS = 60;

const types: readonly FlashType[] = ['success', 'info', 'warning', 'error'];
/** The route that shows each scope's messages in place. */
const scopeRoutes: Record<FlashScope, string> = { sessions: '/account' };
const scopes = Object.keys(scopeRoutes) as FlashScope[];

/**
 * Whether the layout shows the message at the top of the page: unscoped ones,
 * and scoped ones that landed on a page without their place (never lost).
 */
export function flashAtTop(flash: Flash, routeId: string | null): boolean {
  return !flash.scope || scopeRoutes[flash.scope] !== routeId;
}

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
  return JSON.stringify({ type: flash.type, message: flash.message, scope: flash.scope });
}

/** Null for a missing or tampered cookie. */
export function decodeFlash(raw: string | undefined): Flash | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const { type, message, scope } = value as Record<string, unknown>;
    if (typeof type !== 'string' || !types.includes(type as FlashType)) return null;
    if (typeof message !== 'string' || message.length === 0 || message.length > 500) return null;
    // An unknown scope (an older or tampered cookie) falls back to the top of the page.
    return typeof scope === 'string' && scopes.includes(scope as FlashScope)
      ? { type: type as FlashType, message, scope: scope as FlashScope }
      : { type: type as FlashType, message };
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
