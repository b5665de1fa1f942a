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

/** After a sign-in with a recovery code: how many are left, and where to make new ones. */
function recoveryCodePrompt(username: string, left: number): string {
  const remaining =
    left === 0
      ? 'That was your last recovery code.'
      : `You have ${left} unused recovery ${left === 1 ? 'code' : 'codes'} left.`;
  return `Welcome back, ${username}! You signed in with a recovery code. ${remaining} Make new ones on your account page (the old ones then stop working), and check that your authenticator app still works.`;
}

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
    /** Unused recovery codes left, after a sign-in with one (null after a code from the app). */
    let codesLeft: number | null = null;
    try {
      const outcome = await completeSecondFactorSignIn(auth, event, proof);
      username = outcome.user.username;
      if (outcome.method === 'recovery_code') {
        codesLeft = (await auth.twoStepStatus(outcome.session)).recoveryCodesLeft;
      }
      // Wrong passwords and codes since the last visit: shown once on the dashboard, as after /login.
      if (outcome.failedSignInsSinceLastVisit > 0) {
        noteFailedSignIns(event.cookies, event.url, outcome.failedSignInsSinceLastVisit);
      }
    } catch (caught) {
      // Unknown, used or expired (5 minutes): the password again.
      if (isAuthError(caught, 'UNAUTHORIZED')) startAgain(event, form.data.next);
      return authRefusal(caught, form.form, event);
    }
    // A used recovery code is one fewer: the landing page prompts for new ones.
    setFlash(
      event.cookies,
      event.url,
      codesLeft === null
        ? {
            type: 'success',
            message: `Welcome back, ${username}! You are signed in.`,
            scope: 'welcome',
          }
        : {
            type: 'warning',
            message: recoveryCodePrompt(username, codesLeft),
            link: 'new-recovery-codes',
          },
    );
    redirect(303, safeNext(form.data.next));
  },
};
