// The link from a reset mail: shows whose account it is, then takes the new
// password twice. The token stays in the path (the form posts back to the same
// URL): never in a redirect, a flash or a log line, and the page sends no
// Referer (hooks.server.ts). Public: whoever holds the link may use it.
import { isAuthError } from '@authkit/auth';
import { requestInfo, signOut } from '@authkit/auth/sveltekit';
import { fail, redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { resetPasswordSchema } from '#lib/forms.ts';
import { authRefusal, checkForm, emptyForm, refuseForm } from '#lib/server/forms.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params }) => {
  const account = await getAuth().checkPasswordResetToken(params.token);
  return { username: account?.username ?? null, form: await emptyForm(resetPasswordSchema) };
};

export const actions: Actions = {
  default: async (event) => {
    const form = await checkForm(event, resetPasswordSchema);
    if (form.refusal) return form.refusal;
    const auth = getAuth();
    try {
      // Ends every session of the account (and voids its other reset links).
      await auth.resetPassword(event.params.token, form.data.newPassword, requestInfo(event));
    } catch (caught) {
      if (isAuthError(caught, 'VALIDATION') && caught.fieldErrors?.token) {
        const { data } = refuseForm(form.form, caught.fieldErrors.token[0] ?? caught.message);
        return fail(400, { ...data, invalidLink: true as const });
      }
      return authRefusal(caught, form.form, event);
    }
    // This browser too: whoever it was signed in as, the next step is a fresh sign-in.
    if (event.locals.session) await signOut(auth, event);
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Your password has been reset. Sign in with your new password.',
    });
    redirect(303, '/login');
  },
};
