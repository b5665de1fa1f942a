// The link from a verification or email-change mail. Mail clients and link
// scanners fetch links on their own, so the GET only shows a button; the POST
// (to the same URL: the token stays in the path) uses the link. The page names
// the address being confirmed (the link went to it). Public: the link is the
// proof, whoever (if anyone) is signed in.
import { isAuthError } from '@authkit/auth';
import { requestInfo } from '@authkit/auth/sveltekit';
import { fail, redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { readFormFields, refusalFor } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions, PageServerLoad } from './$types';

/** The address the link confirms, named on the page; null when the link does not work (uses nothing up). */
export const load: PageServerLoad = async ({ params }) => {
  const link = await getAuth().checkEmailLink(params.token);
  return { link };
};

export const actions: Actions = {
  default: async (event) => {
    // The form has no fields; read it like every form (a broken body is a 400, a huge one a 413).
    await readFormFields(event.request);
    let message: string;
    try {
      // An email change ends every other session of the account; this browser's stays.
      const { user, changed } = await getAuth().verifyEmail(
        event.params.token,
        requestInfo(event),
        {
          keepSessionId: event.locals.session?.id ?? null,
        },
      );
      message = changed
        ? `Your email address is now ${user.email}.`
        : 'Thank you, your email address is confirmed.';
    } catch (caught) {
      if (isAuthError(caught, 'VALIDATION')) {
        const reason = caught.fieldErrors?.token?.[0] ?? caught.message;
        return fail(400, { message: reason });
      }
      const { status, refusal } = refusalFor(caught, event);
      return fail(status, { message: refusal.message });
    }
    setFlash(event.cookies, event.url, { type: 'success', message });
    redirect(303, event.locals.user ? '/dashboard' : '/login');
  },
};
