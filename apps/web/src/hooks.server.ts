// Every request passes here once: the user loader fills locals.user and
// locals.session (refreshing or clearing the session cookie), then the route
// groups are guarded in one place — public, signed-in (/dashboard, /account/**),
// admin (/admin/**) and guest-only (/login, /register).
import { isAuthError } from '@authkit/auth';
import {
  createAuthHandle,
  loginPath,
  type AuthRequestEvent,
  type GuardDecision,
} from '@authkit/auth/sveltekit';
import { isDatabaseUnavailable } from '@authkit/db';
import { error, redirect } from '@sveltejs/kit';
import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit/hooks';
import { building } from '$app/env';
import { accessFor } from '#lib/server/access.ts';
import { closeAuth, getAuth, prepareAuth } from '#lib/server/auth.ts';
import { getConfig } from '#lib/server/config.ts';
import { UNAVAILABLE_MESSAGE } from '#lib/server/actions.ts';
import { setFlash } from '#lib/flash.ts';

export const init: ServerInit = async () => {
  if (building) return;
  try {
    getConfig();
  } catch (problem) {
    // A bad configuration stops the start, with the variable's name and no stack trace.
    console.error(`[web] ${problem instanceof Error ? problem.message : String(problem)}`);
    process.exit(1);
  }
  // adapter-node emits this once its server has closed and finished in-flight requests (SIGTERM, SIGINT).
  process.once('sveltekit:shutdown', () => {
    closeAuth().catch((problem: unknown) => {
      console.error(
        `[web] shutdown: ${problem instanceof Error ? problem.message : String(problem)}`,
      );
    });
  });
  await prepareAuth();
};

function onDenied(
  decision: Exclude<GuardDecision, { action: 'allow' }>,
  event: AuthRequestEvent,
): never {
  if (decision.action === 'login') {
    setFlash(event.cookies, event.url, {
      type: 'warning',
      message: 'Please log in to access this page.',
    });
    redirect(303, loginPath(decision.next));
  }
  if (decision.action === 'signed-in') redirect(303, '/dashboard');
  error(403, 'You do not have permission to view this page.');
}

const authHandle = createAuthHandle(getAuth, {
  access: (event) => accessFor(event.url.pathname),
  onDenied,
});

/**
 * True for a post to the action named `default`: SvelteKit reserves the name
 * and throws an error (a 500) for it; to a client it is just no such action.
 * The action name is the first query parameter that starts with a slash.
 */
function postsToReservedAction(request: Request, url: URL): boolean {
  if (request.method !== 'POST') return false;
  const name = [...url.searchParams.keys()].find((key) => key.startsWith('/'));
  return name === '/default';
}

// A database outage in the user loader reaches handleError below (a 503), as
// errors thrown in `handle` do.
export const handle: Handle = async ({ event, resolve }) => {
  if (postsToReservedAction(event.request, event.url)) error(404, 'Not Found');
  const response = await authHandle({ event, resolve });
  // A signed-in page (email, devices, addresses) is kept by no cache, nor by the
  // back button after signing out on a shared computer.
  if (event.locals.user) response.headers.set('cache-control', 'private, no-store');
  return response;
};

/** Unexpected errors: a database outage is a 503, never a stack trace or a 500. */
export const handleError: HandleServerError = ({ kind, error: caught, event }) => {
  if (kind !== 'unknown') return;
  if (isAuthError(caught)) {
    if (caught.code === 'UNAVAILABLE') return { status: 503, message: UNAVAILABLE_MESSAGE };
    return { status: caught.status, message: caught.message };
  }
  if (isDatabaseUnavailable(caught)) return { status: 503, message: UNAVAILABLE_MESSAGE };
  console.error(`[web] ${event.request.method} ${event.url.pathname}:`, caught);
  return { status: 500, message: 'Something went wrong on our side. Please try again.' };
};
