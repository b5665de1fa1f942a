// GET /login/provider/<id>/callback: the provider sends the browser back here.
// The auth package uses the flow up (its cookie is cleared), checks it and the
// provider's answer, and applies the linking rules; this maps the outcome to
// cookies and a redirect, or shows the refusal on a page of the layout.
import { completeProviderSignIn } from '@authkit/auth/sveltekit';
import { error, redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { noteFailedSignIns } from '#lib/server/failed-sign-ins.ts';
import { getAuth } from '#lib/server/auth.ts';
import { safeNext } from '#lib/safe-next.ts';
import type { PageServerLoad } from './$types';

const STATUS = {
  invalid_flow: 400,
  access_denied: 403,
  provider_error: 502,
  email_missing: 400,
  email_unverified: 400,
  account_exists: 409,
  inactive: 403,
  identity_in_use: 409,
  not_connected: 409,
  signed_out: 401,
} as const;

export const load: PageServerLoad = async (event) => {
  const outcome = await completeProviderSignIn(getAuth(), event, event.params.id);
  if (outcome.status === 'signed_in') {
    if (outcome.failedSignInsSinceLastVisit > 0) {
      noteFailedSignIns(event.cookies, event.url, outcome.failedSignInsSinceLastVisit);
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: outcome.created
        ? `Welcome, ${outcome.user.username}! Your account has been created.`
        : `Welcome back, ${outcome.user.username}! You are signed in.`,
      scope: 'welcome',
    });
    redirect(303, safeNext(outcome.next));
  }
  if (outcome.status === 'second_factor') {
    // The same second step as after a password (the challenge is in an HttpOnly cookie).
    const next = safeNext(outcome.next);
    redirect(
      303,
      next === '/dashboard' ? '/login/verify' : `/login/verify?${new URLSearchParams({ next })}`,
    );
  }
  if (outcome.status === 'connected') {
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: `${outcome.provider} is now connected to your account.`,
    });
    redirect(303, safeNext(outcome.next, '/account#connected'));
  }
  if (outcome.status === 'reauthenticated') {
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: 'Thank you: you have confirmed who you are.',
    });
    redirect(303, safeNext(outcome.next, '/account'));
  }
  // Refused: a page of the layout (+error.svelte) with the reason's message; no session was made.
  error(STATUS[outcome.reason], outcome.message);
};
