// Refusing a request that may not reach a route: the guard in hooks.server.ts
// (by route id) and, once more, every signed-in load and action, so that a
// route is never served unguarded whatever path reached it.
import type { AuthenticatedUser, SessionInfo } from '@authkit/auth';
import { decideAccess, loginPath, type GuardDecision } from '@authkit/auth/sveltekit';
import { error, redirect } from '@sveltejs/kit';
import { describeEndedReason } from '#lib/activity.ts';
import { setFlash } from './flash.ts';
import type { CookieJar } from './signed-cookie.ts';
import { accessFor, needsVerifiedEmail } from './access.ts';
import { getConfig } from './config.ts';

interface GuardedEvent {
  locals: App.Locals;
  url: URL;
  cookies: CookieJar;
  /** The route SvelteKit serves (REQUIRE_VERIFIED_EMAIL is decided on it). */
  route?: { id: string | null };
}

/** True when REQUIRE_VERIFIED_EMAIL keeps this user away from this route. */
export function mustVerifyFirst(
  user: App.Locals['user'],
  routeId: string | null,
  required: boolean,
): boolean {
  return required && !!user && !user.emailVerified && needsVerifiedEmail(routeId);
}

/**
 * With REQUIRE_VERIFIED_EMAIL, sends a signed-in user whose address is not
 * confirmed yet to /verify-email (which explains and offers a new link).
 */
export function denyUnverified(event: Pick<GuardedEvent, 'locals' | 'route'>): void {
  const { user } = event.locals;
  // Read the setting only when it could matter (unit tests have no configuration).
  if (!user || user.emailVerified || !event.route) return;
  if (mustVerifyFirst(user, event.route.id, getConfig().auth.requireVerifiedEmail ?? false)) {
    redirect(303, '/verify-email');
  }
}

/**
 * With REQUIRE_MFA_FOR_ADMINS (on unless set to false), an administrator
 * without a second factor is sent to set one up on /account before any admin
 * page (the auth package refuses their admin actions anyway: MFA_REQUIRED).
 */
export function denyAdminWithoutSecondFactor(
  event: Pick<GuardedEvent, 'locals' | 'route' | 'url' | 'cookies'>,
): void {
  const { user } = event.locals;
  if (!user || user.role !== 'admin' || !event.route) return;
  if (accessFor(event.route.id) !== 'admin') return;
  if (getConfig().auth.requireMfaForAdmins === false) return;
  if (user.mfaEnabled) {
    // The account has a second factor; this session must have passed it (a
    // password-only session from before the set-up steps up first).
    const session = event.locals.session;
    if (session && !session.amr.some((method) => method !== 'password')) {
      setFlash(event.cookies, event.url, {
        type: 'warning',
        message: 'Administrator pages need two-step verification: confirm with your authenticator code or a passkey.',
      });
      redirect(303, `/account/reauth?${new URLSearchParams({ next: event.url.pathname + event.url.search })}`);
    }
    return;
  }
  // No flash: /account says it once, in its own notice (and offers the way back once it is set up).
  redirect(303, '/account#two-step');
}

/** Throws what a refused decision means: to the login page, to the dashboard, or a 403. */
export function denyAccess(
  decision: Exclude<GuardDecision, { action: 'allow' }>,
  event: Pick<GuardedEvent, 'url' | 'cookies'> & { locals?: Pick<App.Locals, 'endedReason'> },
): never {
  if (decision.action === 'login') {
    // A device whose session just ended elsewhere is told why instead.
    const ended = event.locals?.endedReason;
    setFlash(event.cookies, event.url, {
      type: ended ? 'info' : 'warning',
      message: ended ? describeEndedReason(ended) : 'Please sign in to access this page.',
    });
    redirect(303, loginPath(decision.next));
  }
  if (decision.action === 'signed-in') redirect(303, '/dashboard');
  error(403, 'You do not have permission to view this page.');
}

export interface SignedIn {
  user: AuthenticatedUser;
  session: SessionInfo;
}

/**
 * The signed-in, active user and their session; otherwise throws (anonymous:
 * to the login page; deactivated: 403). The same decision as the hook's guard.
 */
export function requireSignedIn(event: GuardedEvent): SignedIn {
  return requireAccess(event, 'signed-in');
}

/** As requireSignedIn, and a 403 for a user who is not an administrator. */
export function requireAdmin(event: GuardedEvent): SignedIn {
  return requireAccess(event, 'admin');
}

function requireAccess(event: GuardedEvent, access: 'signed-in' | 'admin'): SignedIn {
  const { user, session } = event.locals;
  const decision = decideAccess(event.locals, access, event.url);
  if (decision.action !== 'allow') denyAccess(decision, event);
  denyUnverified(event);
  if (access === 'admin') denyAdminWithoutSecondFactor(event);
  // decideAccess allows only a user; the session comes with it (null together).
  if (!user || !session)
    denyAccess({ action: 'login', next: event.url.pathname + event.url.search }, event);
  return { user, session };
}
