// Every /admin page refuses non-administrators here, in a load: a 403 thrown
// by a load renders +error.svelte inside the site's layout (header, navigation,
// sign-out), where one thrown by the handle hook could only get the static
// error.html. The hook lets refused page views through to this load (see
// hooks.server.ts); a +server.ts under /admin must call requireAdmin itself.
import { requireAdmin } from '#lib/server/guard.ts';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = (event) => {
  requireAdmin(event);
};
