// Signing out changes state, so it is a POST (the header's button, this page's
// form); a GET only shows the "Sign out?" page with that button.
import { signOut } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions } from './$types';

export const actions: Actions = {
  // The body is never read: any form post signs this browser out.
  default: async (event) => {
    const wasSignedIn = event.locals.user !== null;
    await signOut(getAuth(), event);
    setFlash(event.cookies, event.url, {
      type: 'info',
      message: wasSignedIn ? 'You have been signed out.' : 'You were not signed in.',
    });
    redirect(303, '/login');
  },
};
