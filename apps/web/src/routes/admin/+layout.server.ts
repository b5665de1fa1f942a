// Every /admin page makes the guard's decision once more here, in a load
// (requireAdmin: the same decision as the guard handle's). A refusal thrown
// by a load renders +error.svelte inside the site's layout (header,
// navigation, sign-out), where one thrown by a handle could only get the
// static error.html: so the guard lets a refused page view of an admin page
// through to this load (lib/server/guard.ts). A +server.ts under /admin must
// call requireAdmin itself.
import { requireAdmin } from '#lib/server/guard.ts';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = (event) => {
  requireAdmin(event);
};
