import { describeEndedReason } from '#lib/activity.ts';
import type { Flash } from '#lib/flash.ts';
import { takeFlash } from '#lib/server/flash.ts';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals, cookies, url }) => {
  // Reading the URL makes this load run again on every navigation, so a flash
  // set by a redirect is picked up on the page the redirect lands on.
  const path = url.pathname + url.search;
  const user = locals.user;
  return {
    path,
    user: user
      ? {
          id: user.id,
          username: user.username,
          email: user.email,
          emailVerified: user.emailVerified,
          role: user.role,
        }
      : null,
    flash: takeFlash(cookies, url) ?? endedFlash(locals.endedReason),
  };
};

/** On a public page, a device whose session ended elsewhere is told why at once. */
function endedFlash(reason: App.Locals['endedReason']): Flash | null {
  return reason ? { type: 'info', message: describeEndedReason(reason) } : null;
}
