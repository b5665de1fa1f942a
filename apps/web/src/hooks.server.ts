// Every request passes through the handles of `handle` below, in order: the
// form Origin check, reserved action names, readiness (no writes before the
// indexes exist), the user loader (locals.user and locals.session, refreshing
// or clearing the session cookie), the guard (who may see what, decided by
// route id in lib/server/guard.ts: route groups in lib/server/access.ts, the
// decision in @authkit/auth/sveltekit), and the response headers.
import { defaultSettings, isAuthError, relyingPartyWarning } from '@authkit/auth';
import { loadUserIntoLocals } from '@authkit/auth/sveltekit';
import { isDatabaseUnavailable, serializeError } from '@authkit/db';
import { error } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit/hooks';
import { building } from '$app/env';
import { carriesToken } from '#lib/server/access.ts';
import { closeAuth, getAuth, isAuthReady, prepareAuth } from '#lib/server/auth.ts';
import { getConfig, type WebConfig } from '#lib/server/config.ts';
import { UNAVAILABLE_MESSAGE } from '#lib/server/actions.ts';
import { refuseCrossSiteForms } from '#lib/server/form-origin.ts';
import { guardRoutes } from '#lib/server/guard.ts';

/**
 * A promise nobody awaited that rejects would end the process (Node's default):
 * one bad request would take the site down for everyone. Log it instead. Set
 * once per process (init may run again in development).
 */
const REJECTION_GUARD = Symbol.for('authkit.web.unhandledRejectionGuard');

function keepRunningOnUnhandledRejection(): void {
  const scope = globalThis as { [REJECTION_GUARD]?: true };
  if (scope[REJECTION_GUARD]) return;
  scope[REJECTION_GUARD] = true;
  process.on('unhandledRejection', (reason) => {
    console.error(
      '[web] unhandled promise rejection (the process keeps running):',
      serializeError(reason),
    );
  });
}

export const init: ServerInit = async () => {
  if (building) return;
  keepRunningOnUnhandledRejection();
  let config: WebConfig;
  try {
    config = getConfig();
  } catch (problem) {
    // A bad configuration stops the start, with the variable's name and no stack trace.
    console.error(`[web] ${problem instanceof Error ? problem.message : String(problem)}`);
    process.exit(1);
  }
  // It works, but not as the operator probably meant: no passkey buttons on the pages.
  const passkeyWarning = relyingPartyWarning(config.auth.siteUrl ?? defaultSettings.siteUrl);
  if (passkeyWarning) console.warn(`[web] ${passkeyWarning}`);
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

/**
 * Reserved actions: a post to the action named `default` is no such action
 * (404); SvelteKit reserves the name and would throw an error (a 500) for it.
 * The action name is the first query parameter that starts with a slash.
 */
const refuseReservedActions: Handle = ({ event, resolve }) => {
  if (event.request.method === 'POST') {
    const name = [...event.url.searchParams.keys()].find((key) => key.startsWith('/'));
    if (name === '/default') error(404, 'Not Found');
  }
  return resolve(event);
};

/** Methods that change nothing: the site's GET loads only read (and touch sessions). */
const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Readiness: until the indexes exist, the site takes no writes (without the
 * unique indexes two registrations could take the same username or email).
 * Reads go on (pages that need no database still work; those that do answer
 * 503 on their own). A write first tries to create the indexes once more, so
 * the first one after the database comes back needs not wait for the retry timer.
 */
const refuseWritesUntilReady: Handle = async ({ event, resolve }) => {
  if (!isAuthReady() && !READ_ONLY_METHODS.has(event.request.method)) {
    if (!(await prepareAuth())) error(503, UNAVAILABLE_MESSAGE);
  }
  return resolve(event);
};

/**
 * The user loader: fills locals.user and locals.session (null when
 * anonymous) and refreshes or clears the session cookie. A database outage
 * here reaches handleError below (a 503), as errors thrown in `handle` do.
 */
const loadUser: Handle = async ({ event, resolve }) => {
  await loadUserIntoLocals(getAuth(), event);
  return resolve(event);
};

/**
 * On every response the site renders (the Content-Security-Policy itself,
 * with frame-ancestors 'none', comes from `csp` in vite.config.ts): no
 * framing, also for browsers without CSP level 2; no MIME sniffing; no path
 * or query of ours in the Referer sent to other sites.
 */
const SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
} as const;

/**
 * "Continue with …" posts a form to this site, which redirects to the
 * provider: CSP `form-action` covers that redirect, so the configured
 * providers' origins are added to it (known at start, from the environment).
 */
function allowProviderFormActions(response: Response): void {
  const csp = response.headers.get('content-security-policy');
  if (!csp) return;
  const origins = getAuth()
    .identityProviders()
    .map((provider) => provider.origin);
  if (origins.length === 0) return;
  response.headers.set(
    'content-security-policy',
    csp.replace(/form-action 'self'/, `form-action 'self' ${[...new Set(origins)].join(' ')}`),
  );
}

/** The response headers of every page the route renders (not of a refusal thrown by a handle before it). */
const responseHeaders: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  allowProviderFormActions(response);
  const tokenInPath = carriesToken(event.route.id);
  // A reset or verification link's token is in the path: a Referer carries
  // the origin only, to anyone (our own asset requests and their logs too).
  // Not 'no-referrer': browsers then send `Origin: null` with the page's own
  // form post, which the CSRF check rightly refuses.
  if (tokenInPath) response.headers.set('referrer-policy', 'strict-origin');
  // A signed-in page (email, devices, addresses) is kept by no cache, nor by the
  // back button after signing out on a shared computer; nor is a token's page.
  if (event.locals.user || tokenInPath) response.headers.set('cache-control', 'private, no-store');
  return response;
};

export const handle = sequence(
  // The form Origin check first, in every mode (SvelteKit's own runs in a built site only).
  refuseCrossSiteForms,
  refuseReservedActions,
  refuseWritesUntilReady,
  loadUser,
  guardRoutes,
  responseHeaders,
);

/** Unexpected errors: a database outage is a 503, never a stack trace or a 500. */
export const handleError: HandleServerError = ({ kind, error: caught, event }) => {
  if (kind !== 'unknown') return;
  if (isAuthError(caught)) {
    if (caught.code === 'UNAVAILABLE') return { status: 503, message: UNAVAILABLE_MESSAGE };
    return { status: caught.status, message: caught.message };
  }
  if (isDatabaseUnavailable(caught)) return { status: 503, message: UNAVAILABLE_MESSAGE };
  // A token in the path stays out of the logs: the route id names the page.
  const where = carriesToken(event.route.id) ? event.route.id : event.url.pathname;
  // Name, message, code and stack only: a MongoDB error's other fields hold key values.
  console.error(`[web] ${event.request.method} ${where}:`, serializeError(caught));
  return { status: 500, message: 'Something went wrong on our side. Please try again.' };
};
