import { requestInfo, signIn } from '@authkit/auth/sveltekit';
import { redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { loginSchema } from '#lib/forms.ts';
import { safeNext } from '#lib/safe-next.ts';
import { authFailure, nextFromQuery, parseForm } from '#lib/server/actions.ts';
import { noteFailedSignIns } from '#lib/server/failed-sign-ins.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = nextFromQuery;

export const actions: Actions = {
  default: async (event) => {
    const form = await parseForm(
      event.request,
      loginSchema,
      ['username', 'next', 'remember'],
      'Please fill in both fields.',
    );
    if (form.failure) return form.failure;

    const auth = getAuth();
    let username: string;
    try {
      const user = await auth.authenticate(
        form.data.username,
        form.data.password,
        requestInfo(event),
      );
      // Counted before this sign-in becomes the last one; shown once on the dashboard.
      const failed = await auth.failedSignInsSinceLastVisit(user.id);
      await signIn(auth, event, user, { remember: form.data.remember === 'on' });
      if (failed > 0) noteFailedSignIns(event.cookies, event.url, failed);
      username = user.username;
    } catch (caught) {
      return authFailure(caught, form.values, event.setHeaders);
    }

    setFlash(event.cookies, event.url, {
      type: 'success',
      message: `Welcome back, ${username}! You are signed in.`,
    });
    redirect(303, safeNext(form.data.next));
  },
};
