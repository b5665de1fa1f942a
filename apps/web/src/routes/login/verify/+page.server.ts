// The second step of a password sign-in for an account with an authenticator
// app: a 6-digit code, or one of the recovery codes. The pending sign-in is a
// short-lived HttpOnly cookie set by the login action (see the SvelteKit
// adapter's signIn); it grants nothing until this step succeeds.
import { isAuthError } from '@authkit/auth';
import { completeSecondFactorSignIn, hasPendingSecondFactor } from '@authkit/auth/sveltekit';
import { redirect, type RequestEvent } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { secondFactorSchema } from '#lib/schemas.ts';
import { safeNext } from '#lib/safe-next.ts';
import { authRefusal, checkForm, emptyForm } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import { noteFailedSignIns } from '#lib/server/failed-sign-ins.ts';
import type { Actions, PageServerLoad } from './$types';

/** Back to the password, with a message, keeping `next`. */
function startAgain(event: RequestEvent, next: string | undefined): never {
  setFlash(event.cookies, event.url, {
    type: 'warning',
    message: 'Your sign-in has expired. Please enter your password again.',
  });
  const target = safeNext(next, '');
  redirect(303, target ? `/login?${new URLSearchParams({ next: target })}` : '/login');
}

export const load: PageServerLoad = async (event) => {
  const next = event.url.searchParams.get('next') ?? '';
  if (!hasPendingSecondFactor(getAuth(), event)) startAgain(event, next);
  return {
    next,
    recovery: event.url.searchParams.get('method') === 'recovery',
    form: await emptyForm(secondFactorSchema),
  };
};

export const actions: Actions = {
  default: async (event) => {
    const form = await checkForm(event, secondFactorSchema, { message: 'Please enter a code.' });
    if (form.refusal) return form.refusal;

    const auth = getAuth();
    const proof =
      form.data.method === 'recovery'
        ? { recoveryCode: form.data.recoveryCode }
        : { code: form.data.code };
    let username: string;
    try {
      const outcome = await completeSecondFactorSignIn(auth, event, proof);
      username = outcome.user.username;
      // Wrong passwords and codes since the last visit: shown once on the dashboard, as after /login.
      if (outcome.failedSignInsSinceLastVisit > 0) {
        noteFailedSignIns(event.cookies, event.url, outcome.failedSignInsSinceLastVisit);
      }
    } catch (caught) {
      // Unknown, used or expired (5 minutes): the password again.
      if (isAuthError(caught, 'UNAUTHORIZED')) startAgain(event, form.data.next);
      return authRefusal(caught, form.form, event);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: `Welcome back, ${username}! You are signed in.`,
      scope: 'welcome',
    });
    redirect(303, safeNext(form.data.next));
  },
};
