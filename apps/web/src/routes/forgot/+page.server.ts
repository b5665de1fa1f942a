// "Forgot your password?": mails a reset link. Known and unknown names get the
// same page, status and (in the auth package) the same time, so the form tells
// nobody who has an account. Public: a signed-in user who forgot the password
// (and so cannot re-authenticate) may ask too.
import { requestInfo } from '@authkit/auth/sveltekit';
import { forgotSchema } from '#lib/schemas.ts';
import { authRefusal, checkForm, emptyForm } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions, PageServerLoad } from './$types';

function linkMinutes(): number {
  return Math.round(getAuth().settings.passwordResetTokenMs / 60_000);
}

export const load: PageServerLoad = async () => ({
  minutes: linkMinutes(),
  form: await emptyForm(forgotSchema),
});

export const actions: Actions = {
  default: async (event) => {
    const form = await checkForm(event, forgotSchema, {
      message: 'Enter your username or email address.',
    });
    if (form.refusal) return form.refusal;
    try {
      await getAuth().requestPasswordReset(form.data.login, requestInfo(event));
    } catch (caught) {
      return authRefusal(caught, form.form, event);
    }
    // The name is not echoed back: people type passwords into name fields.
    form.form.data.login = '';
    return { form: form.form, sent: true as const };
  },
};
