// POST /login/provider/<id>: starts a sign-in (or, signed in, a connect or a
// re-authentication) with an identity provider. A form post (same-origin
// checked by the hooks), never a GET: a link cannot start a flow for a
// visitor. The flow's record stays on the server; this browser gets the
// binding cookie and is redirected to the provider.
import { isAuthError } from '@authkit/auth';
import { startProviderSignIn } from '@authkit/auth/sveltekit';
import { error, redirect } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { safeNext } from '#lib/safe-next.ts';
import { readFormFields, refusalFor, toReauth } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { RequestHandler } from './$types';

const INTENTS = ['sign_in', 'connect', 'reauthenticate'] as const;

export const POST: RequestHandler = async (event) => {
  const fields = await readFormFields(event.request);
  const intent = INTENTS.find((value) => value === fields.intent) ?? 'sign_in';
  const signedIn = !!event.locals.session;
  if (intent !== 'sign_in' && !signedIn) redirect(303, '/login');
  // Signed in already: nothing to sign in to.
  if (intent === 'sign_in' && signedIn) redirect(303, '/dashboard');
  const back =
    intent === 'sign_in'
      ? '/login'
      : intent === 'connect'
        ? '/account#connected'
        : '/account/reauth';
  const next = safeNext(fields.next, intent === 'sign_in' ? '/dashboard' : '/account#connected');

  let url: string;
  try {
    url = await startProviderSignIn(getAuth(), event, event.params.id, {
      intent,
      next,
      remember: fields.remember === 'on',
    });
  } catch (caught) {
    if (isAuthError(caught, 'NOT_FOUND')) error(404, 'No such sign-in provider.');
    // Connecting is a sensitive change: confirm who you are first, then press Connect again.
    if (isAuthError(caught, 'NEEDS_REFRESH')) toReauth(event, '/account#connected');
    const { status, refusal } = refusalFor(caught, event);
    if (status === 429) error(429, refusal.message ?? 'Too many requests.');
    setFlash(event.cookies, event.url, {
      type: 'error',
      message: refusal.message ?? 'Please try again.',
    });
    redirect(303, back);
  }
  // To another origin: SvelteKit's redirect() is for this site's paths only. The
  // binding cookie set above goes with this response.
  return new Response(null, { status: 303, headers: { location: url, 'cache-control': 'no-store' } });
};
