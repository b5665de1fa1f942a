// POST only: signing out changes state, so it is never a link. A GET answers
// 405 (SvelteKit does that for methods a +server.ts does not export).
import { signOut } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = async (event) => {
  const wasSignedIn = event.locals.user !== null;
  await signOut(getAuth(), event);
  setFlash(event.cookies, event.url, {
    type: 'info',
    message: wasSignedIn ? 'You have been signed out.' : 'You were not signed in.',
  });
  redirect(303, '/login');
};
