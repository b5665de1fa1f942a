import { requestInfo, signIn } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { loginSchema } from '#lib/forms.ts';
import { safeNext } from '#lib/safe-next.ts';
import { nextFromQuery } from '#lib/server/actions.ts';
import { authRefusal, checkForm, emptyForm } from '#lib/server/forms.ts';
import { noteFailedSignIns } from '#lib/server/failed-sign-ins.ts';
import { getAuth } from '#lib/server/auth.ts';
import { getConfig } from '#lib/server/config.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => ({
  ...nextFromQuery(event),
  passkeysAvailable: getConfig().passkeys === 'on',
  form: await emptyForm(loginSchema),
});

export const actions: Actions = {
  default: async (event) => {
    const form = await checkForm(event, loginSchema, { message: 'Please fill in both fields.' });
    if (form.refusal) return form.refusal;

    const auth = getAuth();
    let username: string;
    let secondStep = false;
    try {
      const user = await auth.authenticate(
        form.data.username,
        form.data.password,
        requestInfo(event),
      );
      // Counted before this sign-in becomes the last one; shown once on the dashboard.
      const failed = await auth.failedSignInsSinceLastVisit(user.id);
      const outcome = await signIn(auth, event, user, { remember: form.data.remember === 'on' });
      // A second factor: no session yet; the challenge is in an HttpOnly cookie, never the URL.
      if (outcome.status === 'second-factor') secondStep = true;
      else if (failed > 0) noteFailedSignIns(event.cookies, event.url, failed);
      username = user.username;
    } catch (caught) {
      return authRefusal(caught, form.form, event);
    }

    if (secondStep) {
      const next = safeNext(form.data.next);
      redirect(
        303,
        next === '/dashboard' ? '/login/verify' : `/login/verify?${new URLSearchParams({ next })}`,
      );
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: `Welcome back, ${username}! You are signed in.`,
    });
    redirect(303, safeNext(form.data.next));
  },
};
