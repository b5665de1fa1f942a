import { signIn } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { loginSchema } from '#lib/schemas.ts';
import { safeNext } from '#lib/safe-next.ts';
import { authRefusal, checkForm, emptyForm, nextFromQuery } from '#lib/server/actions.ts';
import { noteFailedSignIns } from '#lib/server/failed-sign-ins.ts';
import { getAuth } from '#lib/server/auth.ts';
import { getConfig } from '#lib/server/config.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => ({
  ...nextFromQuery(event),
  passkeysAvailable: getConfig().passkeys === 'on',
  providers: getAuth()
    .identityProviders()
    .map(({ id, name }) => ({ id, name })),
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
      // The whole sequence runs in the auth package; this maps its outcome.
      const outcome = await signIn(auth, event, {
        login: form.data.username,
        password: form.data.password,
        remember: form.data.remember === 'on',
      });
      // A second factor: no session yet; the challenge is in an HttpOnly cookie, never the URL.
      if (outcome.status === 'second-factor') secondStep = true;
      else if (outcome.failedSignInsSinceLastVisit > 0) {
        noteFailedSignIns(event.cookies, event.url, outcome.failedSignInsSinceLastVisit);
      }
      username = outcome.user.username;
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
      scope: 'welcome',
    });
    redirect(303, safeNext(form.data.next));
  },
};
