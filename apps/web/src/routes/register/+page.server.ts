import { requestInfo, signIn } from '@authkit/auth/sveltekit';
import { isRedirect, redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { registerSchema } from '#lib/schemas.ts';
import { safeNext } from '#lib/safe-next.ts';
import { authRefusal, checkForm, emptyForm, nextFromQuery } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => ({
  ...nextFromQuery(event),
  providers: getAuth()
    .identityProviders()
    .map(({ id, name }) => ({ id, name })),
  form: await emptyForm(registerSchema),
});

export const actions: Actions = {
  default: async (event) => {
    const form = await checkForm(event, registerSchema);
    if (form.refusal) return form.refusal;

    const auth = getAuth();
    let username: string;
    try {
      const { username: name, email, password } = form.data;
      const result = await auth.signUp({ username: name, email, password }, requestInfo(event));
      if (result.verificationRequired) {
        // REQUIRE_VERIFIED_EMAIL: nobody is signed in, and the answer is the same
        // whether the address is new or already had an account (its owner was told).
        setFlash(event.cookies, event.url, {
          type: 'info',
          message: `Check your inbox: we sent a link to ${email} to confirm the address. Then sign in.`,
        });
        redirect(303, '/login');
      }
      // The new account signs in like any other (auth.signIn: session, amr, device cookie).
      await signIn(auth, event, { login: name, password, remember: false });
      username = result.user.username;
    } catch (caught) {
      if (isRedirect(caught)) throw caught;
      return authRefusal(caught, form.form, event);
    }

    setFlash(event.cookies, event.url, {
      type: 'success',
      // The page it lands on asks to confirm the address (the link went out): not said twice.
      message: `Welcome, ${username}! Your account is ready.`,
      scope: 'welcome',
    });
    redirect(303, safeNext(form.data.next));
  },
};
