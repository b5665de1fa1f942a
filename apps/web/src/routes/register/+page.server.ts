import { requestInfo, signIn } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { registerSchema } from '#lib/forms.ts';
import { safeNext } from '#lib/safe-next.ts';
import { authFailure, nextFromQuery, parseForm } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = nextFromQuery;

export const actions: Actions = {
  default: async (event) => {
    const form = await parseForm(
      event.request,
      registerSchema,
      ['username', 'email', 'next'],
      'Please correct the highlighted fields.',
    );
    if (form.failure) return form.failure;

    const auth = getAuth();
    let username: string;
    try {
      const { username: name, email, password } = form.data;
      const user = await auth.registerUser({ username: name, email, password }, requestInfo(event));
      await signIn(auth, event, user, { remember: false });
      username = user.username;
    } catch (caught) {
      return authFailure(caught, form.values, event.setHeaders);
    }

    setFlash(event.cookies, event.url, {
      type: 'success',
      message: `Welcome, ${username}! Your account is ready. We sent you a link to confirm your email address.`,
    });
    redirect(303, safeNext(form.data.next));
  },
};
