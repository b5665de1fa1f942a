// The route groups, in one place: which paths need a signed-in user, which an
// admin, and which are only for visitors who are not signed in.
import type { Access } from '@authkit/auth/sveltekit';

function under(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

export function accessFor(pathname: string): Access {
  if (under(pathname, '/admin')) return 'admin';
  if (under(pathname, '/dashboard') || under(pathname, '/account')) return 'signed-in';
  if (pathname === '/login' || pathname === '/register') return 'guest-only';
  return 'public';
}
