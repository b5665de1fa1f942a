// Who may see what, decided in one place: the access a route needs (the route
// table, access.ts) and what that means for this user and session (the
// decision of @authkit/auth/sveltekit, with the Auth's REQUIRE_VERIFIED_EMAIL
// and REQUIRE_MFA_FOR_ADMINS). The guard handle makes the decision for every
// request, by route id; every signed-in load and action makes it once more
// (requireSignedIn, requireAdmin), so that a route is never served unguarded
// whatever path reached it. Here too, what each refusal means for a browser.
import type { AuthenticatedUser, SessionInfo } from '@authkit/auth';
import {
  decideAccess,
  loginPath,
  type Access,
  type GuardDecision,
  type GuardSettings,
} from '@authkit/auth/sveltekit';
import { error, redirect } from '@sveltejs/kit';
import type { Handle } from '@sveltejs/kit/hooks';
import { describeEndedReason } from '#lib/activity.ts';
import { setFlash } from './flash.ts';
import type { CookieJar } from './signed-cookie.ts';
import { accessFor } from './access.ts';
import { getAuth } from './auth.ts';

interface GuardedEvent {
  locals: App.Locals;
  url: URL;
  cookies: CookieJar;
  /** The route SvelteKit serves; its access is the least a load asks for. */
  route?: { id: string | null };
}

/** The decision's settings, as the site's Auth has them (from the environment). */
function guardSettings(): GuardSettings {
  return getAuth().settings;
}

/** Throws what a refused decision means for a browser: a redirect (with a flash message where it helps) or a 403. */
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
  // The page explains and offers a new link.
  if (decision.action === 'verify-email') redirect(303, '/verify-email');
  if (decision.action === 'enrol-second-factor') {
    // No flash: /account's two-step card says why administrators need it (one message, not two).
    redirect(303, '/account#two-step');
  }
  if (decision.action === 'reauthenticate') {
    setFlash(event.cookies, event.url, {
      type: 'warning',
      message:
        'Administrator pages need two-step verification: confirm with your authenticator code or a passkey.',
    });
    redirect(303, `/account/reauth?${new URLSearchParams({ next: decision.next })}`);
  }
  error(403, 'You do not have permission to view this page.');
}

/** Methods that change nothing: the site's GET loads only read (and touch sessions). */
const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The guard of every request, after the user loader: the decision for the
 * route SvelteKit serves (`event.route.id`, whatever the path's spelling; for
 * a `__data.json` request the page's route, and a redirect thrown here
 * becomes the JSON redirect the client router follows).
 */
export const guardRoutes: Handle = ({ event, resolve }) => {
  const access = accessFor(event.route.id);
  const decision = decideAccess(event.locals, access, event.url, guardSettings());
  if (decision.action === 'allow') return resolve(event);
  // A refused look at an admin page goes on to the route: its layout load
  // (routes/admin/+layout.server.ts, requireAdmin) makes the same decision and
  // throws the same 403, which then renders inside the site's layout, where
  // one thrown here could only get the static error.html. Anything else is
  // refused here: a form action, and the client router's `__data.json` (a 403
  // there makes it load the page itself, which then renders as above).
  const pageView = READ_ONLY_METHODS.has(event.request.method) && !event.isDataRequest;
  if (decision.action === 'forbidden' && pageView && access === 'admin') return resolve(event);
  denyAccess(decision, event);
};

export interface SignedIn {
  user: AuthenticatedUser;
  session: SessionInfo;
}

/**
 * The signed-in, active user and their session; otherwise throws (anonymous:
 * to the login page; deactivated: 403; on a route that needs a confirmed
 * address, an unverified user under REQUIRE_VERIFIED_EMAIL: to /verify-email).
 * The same decision as the guard's.
 */
export function requireSignedIn(event: GuardedEvent): SignedIn {
  return requireAccess(event, 'signed-in');
}

/**
 * As requireSignedIn, and a 403 for a user who is not an administrator; under
 * REQUIRE_MFA_FOR_ADMINS, an administrator without a second factor is sent to
 * set one up, and one whose session has not passed it to confirm with it.
 */
export function requireAdmin(event: GuardedEvent): SignedIn {
  return requireAccess(event, 'admin');
}

/** The signed-in accesses, weakest first: a route's own access counts when it asks for more. */
const SIGNED_IN_ACCESS: readonly Access[] = ['signed-in', 'verified', 'admin'];

function requireAccess(event: GuardedEvent, least: 'signed-in' | 'admin'): SignedIn {
  const routeAccess = accessFor(event.route?.id ?? null);
  const access =
    SIGNED_IN_ACCESS.indexOf(routeAccess) > SIGNED_IN_ACCESS.indexOf(least) ? routeAccess : least;
  const decision = decideAccess(event.locals, access, event.url, guardSettings());
  if (decision.action !== 'allow') denyAccess(decision, event);
  const { user, session } = event.locals;
  // decideAccess allows only a user with a session; this tells TypeScript.
  if (!user || !session)
    denyAccess({ action: 'login', next: event.url.pathname + event.url.search }, event);
  return { user, session };
}
