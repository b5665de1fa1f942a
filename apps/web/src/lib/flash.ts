// Flash messages: one message that survives a redirect, shown once on the next
// page. Kept in a short-lived, HttpOnly, signed cookie ($lib/server/flash.ts);
// the root layout reads and clears it. This module is shared with the browser.

export type FlashType = 'success' | 'info' | 'warning' | 'error';

/**
 * Where a message belongs when not at the top of the page: a part of the page
 * that shows it beside what changed (the account page's sessions card), or
 * with what the page says anyway (the dashboard greets a new sign-in in its
 * "confirm your email address" notice: one message, not two).
 */
export type FlashScope = 'sessions' | 'welcome';

export interface Flash {
  type: FlashType;
  message: string;
  /** Absent: the layout shows it at the top of the page. */
  scope?: FlashScope;
}

const types: readonly FlashType[] = ['success', 'info', 'warning', 'error'];
/** The route that shows each scope's messages in place. */
const scopeRoutes: Record<FlashScope, string> = { sessions: '/account', welcome: '/dashboard' };
const scopes = Object.keys(scopeRoutes) as FlashScope[];

/**
 * Whether the layout shows the message at the top of the page: unscoped ones,
 * and scoped ones that landed on a page without their place (never lost).
 */
export function flashAtTop(flash: Flash, routeId: string | null): boolean {
  return !flash.scope || scopeRoutes[flash.scope] !== routeId;
}

/** Null for anything that is not a message of ours (a tampered or older cookie's payload). */
export function parseFlash(value: unknown): Flash | null {
  if (typeof value !== 'object' || value === null) return null;
  const { type, message, scope } = value as Record<string, unknown>;
  if (typeof type !== 'string' || !types.includes(type as FlashType)) return null;
  if (typeof message !== 'string' || message.length === 0 || message.length > 500) return null;
  // An unknown scope falls back to the top of the page.
  return typeof scope === 'string' && scopes.includes(scope as FlashScope)
    ? { type: type as FlashType, message, scope: scope as FlashScope }
    : { type: type as FlashType, message };
}
