// The route groups, in one place: which routes need a signed-in user, which an
// admin, and which are only for visitors who are not signed in.
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
  const route = routeId.replace(/\/\([^/]*\)/g, '') || '/';
  if (under(route, '/admin')) return 'admin';
  if (under(route, '/dashboard') || under(route, '/account')) return 'signed-in';
  if (route === '/login' || route === '/register') return 'guest-only';
  return 'public';
}
