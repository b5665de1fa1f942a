// Email verification for the signed-in user: the page REQUIRE_VERIFIED_EMAIL
// sends unverified users to, and the `resend` action that the notices on the
// dashboard and account pages post to.
import { requestInfo } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { safeNext } from '#lib/safe-next.ts';
import { readFormFields, refusalFor, refuse } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import { requireSignedIn } from '#lib/server/guard.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
  requireSignedIn(event);
  return { required: getAuth().settings.requireVerifiedEmail };
};

export const actions: Actions = {
  resend: async (event) => {
    const { user, session } = requireSignedIn(event);
    const fields = await readFormFields(event.request);
    let alreadyVerified: boolean;
    try {
      ({ alreadyVerified } = await getAuth().resendVerification(session, requestInfo(event)));
    } catch (caught) {
      const { status, refusal } = refusalFor(caught, event);
      return refuse(status, 'resend', refusal);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: alreadyVerified
        ? 'Your email address is already confirmed.'
        : `We sent a new link to ${user.email}.`,
    });
    // Back to the page the notice was on (only a path of this site).
    redirect(303, safeNext(fields.next, '/verify-email'));
  },
};
