// The route groups, in one place: which routes need a signed-in user, which
// also a confirmed address (under REQUIRE_VERIFIED_EMAIL), which an admin,
// which are only for visitors who are not signed in, and which carry a secret
// token in their path. What each access means for a given user is the
// decision of @authkit/auth/sveltekit (`decideAccess`), made by the guard
// (guard.ts) for every request and again by every signed-in load and action.
//
// Decided on the route id (`event.route.id`: what SvelteKit actually routes to,
// also for a `__data.json` request), never on the raw path: `/%61ccount`,
// `/account/` and `/account/__data.json` all reach the route `/account`.
import type { Access } from '@authkit/auth/sveltekit';

function under(routeId: string, prefix: string): boolean {
  return routeId === prefix || routeId.startsWith(`${prefix}/`);
}

/**
 * The access a route needs. `null` is no route (a 404 page): public. Route
 * groups (`/(app)/dashboard`) do not change the path, so they are ignored.
 */
export function accessFor(routeId: string | null): Access {
  if (routeId === null) return 'public';
  const route = withoutGroups(routeId);
  if (under(route, '/admin')) return 'admin';
  // Open to an unverified user under REQUIRE_VERIFIED_EMAIL: the account page
  // (to change a mistyped address, and its re-authentication) and the page
  // that explains a pending verification (its token links are public).
  if (under(route, '/account') || route === '/verify-email') return 'signed-in';
  if (under(route, '/dashboard')) return 'verified';
  if (route === '/login' || route === '/login/verify' || route === '/register') return 'guest-only';
  // /forgot is public: a signed-in user who forgot the password may ask too
  // (e.g. before a re-authentication they cannot pass).
  return 'public';
}

function withoutGroups(routeId: string): string {
  return routeId.replace(/\/\([^/]*\)/g, '') || '/';
}

/**
 * Routes whose path carries a single-use token (password reset, email
 * verification): no Referer to anyone, no cache, and no path in the logs.
 */
export function carriesToken(routeId: string | null): boolean {
  if (routeId === null) return false;
  const route = withoutGroups(routeId);
  return route === '/reset/[token]' || route === '/verify-email/[token]';
}
