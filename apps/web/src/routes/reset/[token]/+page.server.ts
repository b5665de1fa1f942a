// The link from a reset mail: shows whose account it is, then takes the new
// password twice. The token stays in the path (the form posts back to the same
// URL): never in a redirect, a flash or a log line, and the page sends no
// Referer (hooks.server.ts). Public: whoever holds the link may use it.
// The account's passkeys are listed with checkboxes (a passkey signs in
// without the password, so a reset alone does not evict one an intruder
// added): those added recently are ticked by default; the ticked ones are
// removed with the reset (a plain form field, no JavaScript needed).
import { isAuthError } from '@authkit/auth';
import { requestInfo, signOut } from '@authkit/auth/sveltekit';
import { fail, redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { resetPasswordSchema } from '#lib/schemas.ts';
import {
  authRefusal,
  checkForm,
  emptyForm,
  readFormData,
  refuseForm,
} from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params }) => {
  const account = await getAuth().checkPasswordResetToken(params.token);
  const passkeys = (account?.passkeys ?? []).map((key) => ({
    id: key.id,
    name: key.name,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    recent: key.recent,
  }));
  return {
    username: account?.username ?? null,
    passkeys,
    form: await emptyForm(resetPasswordSchema),
  };
};

export const actions: Actions = {
  default: async (event) => {
    // The ticked passkeys (one value per box): read from a copy, the form check reads the body.
    const posted = await readFormData(event.request.clone());
    const removePasskeys = posted
      .getAll('removePasskeys')
      .filter((id): id is string => typeof id === 'string');
    const form = await checkForm(event, resetPasswordSchema);
    if (form.refusal) return form.refusal;
    const auth = getAuth();
    try {
      // Ends every session of the account (and voids its other reset links).
      // Only the account's own passkeys are removed, whatever ids were posted (the rule is in @authkit/auth).
      await auth.resetPassword(event.params.token, form.data.newPassword, requestInfo(event), {
        removePasskeys,
      });
    } catch (caught) {
      if (isAuthError(caught, 'VALIDATION') && caught.fieldErrors?.token) {
        const { data } = refuseForm(form.form, 400, {
          message: caught.fieldErrors.token[0] ?? caught.message,
        });
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
