// /trpc/* is forwarded to the API (API_URL), so the browser's passkey
// ceremonies (through @authkit/api-client) call this origin: the session
// cookie is same-origin and the CSP's connect-src stays 'self'. The API sees
// the browser's Origin (its CSRF check) and, through X-Forwarded-For, the
// client's address (the API must trust this server: TRUST_PROXY).
import { error, type RequestHandler } from '@sveltejs/kit';
import { getAuth } from '#lib/server/auth.ts';
import { getConfig } from '#lib/server/config.ts';
import { trpcTarget } from '#lib/server/trpc-target.ts';
import { setFlash } from '#lib/server/flash.ts';
import { noteFailedSignIns } from '#lib/server/failed-sign-ins.ts';
import { PASSKEY_SIGN_IN, passkeySignedIn } from '#lib/server/passkey-sign-in.ts';

/** Request headers the API reads; nothing else crosses. */
const FORWARDED_REQUEST = [
  'cookie',
  'content-type',
  'origin',
  'user-agent',
  'accept',
  'trpc-accept',
  'sec-fetch-site',
];
/** Response headers the browser needs (Set-Cookie is handled apart: there may be several). */
const FORWARDED_RESPONSE = ['content-type', 'retry-after', 'cache-control', 'vary'];
/** The API's procedure that confirms the signed-in user with a passkey. */
const PASSKEY_REAUTHENTICATION = 'auth.passkeys.reauthenticate';

const forward: RequestHandler = async (event) => {
  const { apiUrl } = getConfig();
  if (!apiUrl) error(404, 'Not Found');
  // Procedure names only, and never outside the API's /trpc/ (`..%2Fhealth` is not a procedure).
  const target = trpcTarget(apiUrl, event.params.path ?? '', event.url.search);
  if (!target) error(404, 'Not Found');
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST) {
    const value = event.request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  headers.set('x-forwarded-for', event.getClientAddress());
  headers.set('x-forwarded-proto', event.url.protocol.replace(':', ''));
  let response: Response;
  try {
    response = await fetch(target, {
      method: event.request.method,
      headers,
      body: event.request.method === 'POST' ? await event.request.arrayBuffer() : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
  } catch (caught) {
    // A body over BODY_SIZE_LIMIT is SvelteKit's 413; an unreachable API is a 503.
    if (caught instanceof Error && 'status' in caught && caught.status === 413) throw caught;
    console.warn(
      `[web] /trpc: the API did not answer (${caught instanceof Error ? caught.message : String(caught)})`,
    );
    error(503, 'The service is temporarily unavailable. Please try again in a moment.');
  }
  // A passkey confirmation made the session fresh on the API: drop this
  // process's cached copy now, so the page it goes back to (a change waiting
  // for it) sees the session fresh at once, as after the password.
  const procedures = (event.params.path ?? '').split(',');
  if (response.ok && event.locals.session && procedures.includes(PASSKEY_REAUTHENTICATION)) {
    await getAuth()
      .invalidateSessions({ sessionId: event.locals.session.id })
      .catch(() => {}); // the cache learns within its bound anyway
  }
  const answer = new Headers();
  for (const name of FORWARDED_RESPONSE) {
    const value = response.headers.get(name);
    if (value !== null) answer.set(name, value);
  }
  for (const cookie of response.headers.getSetCookie()) answer.append('set-cookie', cookie);
  // A passkey sign-in is greeted as a password sign-in is: the welcome flash
  // on the page the browser goes to next, and the failed sign-ins since the
  // last visit for the dashboard.
  const signInAt = procedures.indexOf(PASSKEY_SIGN_IN);
  if (response.ok && signInAt !== -1) {
    const body = await response.text();
    const signedIn = passkeySignedIn(body, signInAt);
    if (signedIn) {
      setFlash(event.cookies, event.url, {
        type: 'success',
        message: `Welcome back, ${signedIn.username}! You are signed in.`,
        scope: 'welcome',
      });
      if (signedIn.failedSignInsSinceLastVisit > 0) {
        noteFailedSignIns(event.cookies, event.url, signedIn.failedSignInsSinceLastVisit);
      }
    }
    return new Response(body, { status: response.status, headers: answer });
  }
  return new Response(response.body, { status: response.status, headers: answer });
};

export const GET = forward;
export const POST = forward;
