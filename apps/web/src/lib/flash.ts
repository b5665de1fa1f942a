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

/**
 * A next step the message offers as a link, by name (the layout knows where
 * each goes): a cookie never carries a URL to put on the page.
 */
export type FlashLink = 'new-recovery-codes' | 'admin-page';

export interface Flash {
  type: FlashType;
  message: string;
  /** Absent: the layout shows it at the top of the page. */
  scope?: FlashScope;
  link?: FlashLink;
}

const types: readonly FlashType[] = ['success', 'info', 'warning', 'error'];
/** The route that shows each scope's messages in place. */
const scopeRoutes: Record<FlashScope, string> = { sessions: '/account', welcome: '/dashboard' };
const scopes = Object.keys(scopeRoutes) as FlashScope[];
/** Each link's target and words. */
export const flashLinks: Record<
  FlashLink,
  { href: '/account#two-step' | '/admin'; label: string }
> = {
  'new-recovery-codes': { href: '/account#two-step', label: 'Get new recovery codes' },
  // After an administrator sent to set up two-step verification finishes it.
  'admin-page': { href: '/admin', label: 'Continue to the admin page' },
};

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
  const { type, message, scope, link } = value as Record<string, unknown>;
  if (typeof type !== 'string' || !types.includes(type as FlashType)) return null;
  if (typeof message !== 'string' || message.length === 0 || message.length > 500) return null;
  const flash: Flash = { type: type as FlashType, message };
  // An unknown scope falls back to the top of the page; an unknown link is left out.
  if (typeof scope === 'string' && scopes.includes(scope as FlashScope)) {
    flash.scope = scope as FlashScope;
  }
  if (typeof link === 'string' && Object.hasOwn(flashLinks, link)) flash.link = link as FlashLink;
  return flash;
}
