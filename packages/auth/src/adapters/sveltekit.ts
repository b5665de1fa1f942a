// SvelteKit adapter: the `handle` hook that runs the user loader for every
// request, and the small helpers a route guard needs. It imports nothing from
// @sveltejs/kit (the auth package does not depend on it): the event and cookie
// shapes below are the parts of SvelteKit's RequestEvent it uses, and guards
// answer a decision that the app turns into `redirect()` or `error()`.
import { isSecureCookie, sessionCookieName } from '../cookies.ts';
import { passedSecondFactor } from '../core.ts';
import { deviceTokenFromHeaders } from '../devices.ts';
import type { SessionEndReason } from '@authkit/db';
import { AuthError } from '../errors.ts';
import type {
  Auth,
  AuthSettings,
  AuthenticatedUser,
  CompletedSignIn,
  ProviderIntent,
  ProviderOutcome,
  PublicUser,
  RequestInfo,
  SecondFactorProof,
  SessionCookie,
  SessionInfo,
} from '../types.ts';

/** What SvelteKit's `event.cookies` offers (the subset used here). */
export interface CookieJar {
  get(name: string): string | undefined;
  set(name: string, value: string, options: CookieOptions): void;
  delete(name: string, options: { path: string }): void;
}

export interface CookieOptions {
  path: string;
  httpOnly?: boolean;
  sameSite?: 'lax' | 'strict' | 'none';
  secure?: boolean;
  expires?: Date;
  maxAge?: number;
}

/** What the adapter puts on `event.locals`; declare these in the app's `App.Locals`. */
export interface AuthLocals {
  /** The signed-in user, or null when anonymous. */
  user: AuthenticatedUser | null;
  /** The current session, or null when anonymous. */
  session: SessionInfo | null;
  /** Why the session of the cookie sent ended lately (see LoadResult.endedReason); else null. */
  endedReason?: SessionEndReason | null;
}

/** The parts of SvelteKit's RequestEvent the adapter reads and writes. */
export interface AuthRequestEvent {
  request: Request;
  url: URL;
  /**
   * The route SvelteKit matched (null: none, a 404). Guard on this, never on
   * `url.pathname`: a path has many spellings (`/%61ccount`, `/account/`,
   * `/account/__data.json`) for one route.
   */
  route: { id: string | null };
  cookies: CookieJar;
  locals: AuthLocals;
  getClientAddress(): string;
}

/**
 * Who is asking, for audit, the device list and session protection. A request
 * to an https URL (SvelteKit's `event.url`, whose protocol the deployment fixes:
 * ORIGIN or the adapter's protocol header) gets `Secure` cookies even when
 * SECURE_COOKIES and NODE_ENV are not set.
 */
export function requestInfo(
  event: Pick<AuthRequestEvent, 'request' | 'getClientAddress'> & { url?: URL },
): RequestInfo {
  let ip: string | null = null;
  try {
    ip = event.getClientAddress() || null;
  } catch {
    // Some environments (e.g. prerendering) cannot tell the address.
  }
  const info: RequestInfo = { ip, userAgent: event.request.headers.get('user-agent') };
  if (event.url?.protocol === 'https:') info.https = true;
  // The device cookie a past sign-in left, checked (for the account tried) by the throttle.
  const deviceToken = deviceTokenFromHeaders({ cookie: event.request.headers.get('cookie') });
  if (deviceToken) info.deviceToken = deviceToken;
  return info;
}

/**
 * Writes a cookie from the auth package (set, refreshed or cleared) through
 * SvelteKit's cookie jar; its name already carries the `__Host-` prefix when Secure.
 */
export function applySessionCookie(cookies: CookieJar, cookie: SessionCookie): void {
  const { attributes } = cookie;
  const options: CookieOptions = {
    path: attributes.path,
    httpOnly: attributes.httpOnly,
    sameSite: attributes.sameSite,
    secure: attributes.secure,
  };
  if (attributes.expires !== undefined) options.expires = attributes.expires;
  if (attributes.maxAge !== undefined) options.maxAge = attributes.maxAge;
  cookies.set(cookie.name, cookie.value, options);
}

/**
 * The session token the browser sent, if any. On https (or with secure
 * cookies configured) only the `__Host-` cookie counts: a plain-named one may
 * have been planted by a sibling subdomain or an http page.
 */
export function sessionToken(
  auth: Auth,
  event: Pick<AuthRequestEvent, 'cookies' | 'url'>,
): string | null {
  const secure = isSecureCookie(auth.settings.secureCookies, {
    https: event.url.protocol === 'https:',
  });
  return event.cookies.get(sessionCookieName(auth.settings.cookieName, secure)) || null;
}

/**
 * The user loader for one request: fills `locals.user` and `locals.session`
 * and refreshes (sliding expiry) or clears (invalid token) the cookie.
 * Throws AuthError('UNAVAILABLE') when the database cannot be reached.
 */
export async function loadUserIntoLocals(auth: Auth, event: AuthRequestEvent): Promise<AuthLocals> {
  const token = sessionToken(auth, event);
  if (!token) {
    event.locals.user = null;
    event.locals.session = null;
    return event.locals;
  }
  const loaded = await auth.loadUser(token, requestInfo(event));
  if (loaded.cookie) applySessionCookie(event.cookies, loaded.cookie);
  if (loaded.session) {
    event.locals.user = loaded.user;
    event.locals.session = loaded.session;
  } else {
    event.locals.user = null;
    event.locals.session = null;
    event.locals.endedReason = loaded.endedReason ?? null;
  }
  return event.locals;
}

/** What `signIn` did: a session, or the pending second step (no session yet). */
export type SignInOutcome =
  | { status: 'signed-in'; user: PublicUser; session: SessionInfo; failedSignInsSinceLastVisit: number }
  | { status: 'second-factor'; user: PublicUser; expiresAt: Date };

/** The base name of the cookie that carries a pending second step (see signIn). */
export const PENDING_SIGN_IN_COOKIE = 'authkit_pending';

function pendingCookieName(auth: Auth, event: Pick<AuthRequestEvent, 'url'>): string {
  const secure = isSecureCookie(auth.settings.secureCookies, { https: event.url.protocol === 'https:' });
  return sessionCookieName(PENDING_SIGN_IN_COOKIE, secure);
}

/**
 * Signs in for this browser with a name and password (auth.signIn runs the
 * whole sequence): on success the session cookie and the device cookie that
 * makes this browser a trusted device of the account. An account with a
 * second factor gets no session yet: the challenge of its second step goes
 * into a short-lived HttpOnly cookie (never the URL), for completeSecondFactorSignIn.
 */
export async function signIn(
  auth: Auth,
  event: AuthRequestEvent,
  input: { login: string; password: string; remember: boolean },
): Promise<SignInOutcome> {
  const info = requestInfo(event);
  const outcome = await auth.signIn(input, info);
  if (outcome.status === 'second_factor') {
    const secure = isSecureCookie(auth.settings.secureCookies, info);
    event.cookies.set(pendingCookieName(auth, event), outcome.challenge, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure,
      maxAge: Math.max(1, Math.floor((outcome.expiresAt.getTime() - Date.now()) / 1000)),
    });
    return { status: 'second-factor', user: outcome.user, expiresAt: outcome.expiresAt };
  }
  applySignedIn(event, outcome);
  return signedInOutcome(outcome);
}

/** The cookies of a complete sign-in: the session, and the device cookie it earned. */
function applySignedIn(event: AuthRequestEvent, signedIn: CompletedSignIn): void {
  applySessionCookie(event.cookies, signedIn.login.cookie);
  applySessionCookie(event.cookies, signedIn.device.cookie);
}

function signedInOutcome(signedIn: CompletedSignIn): Extract<SignInOutcome, { status: 'signed-in' }> {
  return {
    status: 'signed-in',
    user: signedIn.user,
    session: signedIn.login.session,
    failedSignInsSinceLastVisit: signedIn.failedSignInsSinceLastVisit,
  };
}

/** True while this browser has a second step of sign-in pending (its cookie may still have expired server-side). */
export function hasPendingSecondFactor(auth: Auth, event: Pick<AuthRequestEvent, 'cookies' | 'url'>): boolean {
  return !!event.cookies.get(pendingCookieName(auth, event));
}

/** Forgets the pending second step (signing in again, or giving up). */
export function clearPendingSecondFactor(auth: Auth, event: Pick<AuthRequestEvent, 'cookies' | 'url'>): void {
  event.cookies.delete(pendingCookieName(auth, event), { path: '/' });
}

/**
 * The second step of signIn: the pending challenge (from its cookie) and a
 * code or recovery code. Success: the session and device cookies, as after a
 * password sign-in, and the pending cookie is gone. Throws the auth package's
 * errors: UNAUTHORIZED when nothing is pending or it expired (the cookie is
 * then cleared), VALIDATION for a wrong code, THROTTLED after too many.
 */
export async function completeSecondFactorSignIn(
  auth: Auth,
  event: AuthRequestEvent,
  proof: SecondFactorProof,
): Promise<Extract<SignInOutcome, { status: 'signed-in' }> & { method: 'totp' | 'recovery_code' }> {
  const challenge = event.cookies.get(pendingCookieName(auth, event)) ?? '';
  let completed: Awaited<ReturnType<Auth['completeSecondFactor']>>;
  try {
    completed = await auth.completeSecondFactor(challenge, proof, requestInfo(event));
  } catch (caught) {
    if (caught instanceof AuthError && caught.code === 'UNAUTHORIZED') clearPendingSecondFactor(auth, event);
    throw caught;
  }
  clearPendingSecondFactor(auth, event);
  applySignedIn(event, completed);
  return { ...signedInOutcome(completed), method: completed.method };
}

/** The base name of the cookie that binds a provider flow to this browser (see startProviderSignIn). */
export const PROVIDER_FLOW_COOKIE = 'authkit_oauth';

function providerFlowCookieName(auth: Auth, event: Pick<AuthRequestEvent, 'url'>): string {
  const secure = isSecureCookie(auth.settings.secureCookies, { https: event.url.protocol === 'https:' });
  return sessionCookieName(PROVIDER_FLOW_COOKIE, secure);
}

/**
 * Starts a provider flow for this browser (auth.startProviderFlow): the flow's
 * token goes into an HttpOnly, SameSite=Lax cookie (`__Host-` on https) for the
 * flow's ten minutes; answers the provider URL to redirect to. Call it from a
 * POST (same-origin checked). `next` must have passed the app's safe-next check.
 */
export async function startProviderSignIn(
  auth: Auth,
  event: AuthRequestEvent,
  providerId: string,
  input: { intent: ProviderIntent; next: string; remember?: boolean },
): Promise<string> {
  const info = requestInfo(event);
  const started = await auth.startProviderFlow(providerId, { ...input, session: event.locals.session }, info);
  event.cookies.set(providerFlowCookieName(auth, event), started.flowToken, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecureCookie(auth.settings.secureCookies, info),
    maxAge: Math.max(1, Math.floor((started.expiresAt.getTime() - Date.now()) / 1000)),
  });
  return started.url;
}

/**
 * The provider's callback for this browser (auth.completeProviderFlow with the
 * binding cookie, which is cleared whatever happens): the session and device
 * cookies of a sign-in, the pending-second-step cookie for an account with
 * TOTP, the renewed session cookie of a re-authentication. Refusals are
 * returned for the app to show.
 */
export async function completeProviderSignIn(auth: Auth, event: AuthRequestEvent, providerId: string): Promise<ProviderOutcome> {
  const name = providerFlowCookieName(auth, event);
  const flowToken = event.cookies.get(name) ?? null;
  event.cookies.delete(name, { path: '/' });
  const info = requestInfo(event);
  const outcome = await auth.completeProviderFlow(
    providerId,
    { params: event.url.searchParams, flowToken, session: event.locals.session },
    info,
  );
  if (outcome.status === 'signed_in') applySignedIn(event, outcome);
  if (outcome.status === 'reauthenticated') applySessionCookie(event.cookies, outcome.login.cookie);
  if (outcome.status === 'second_factor') {
    event.cookies.set(pendingCookieName(auth, event), outcome.challenge, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: isSecureCookie(auth.settings.secureCookies, info),
      maxAge: Math.max(1, Math.floor((outcome.expiresAt.getTime() - Date.now()) / 1000)),
    });
  }
  return outcome;
}

/** Ends this browser's session and clears its cookie. */
export async function signOut(auth: Auth, event: AuthRequestEvent): Promise<void> {
  const { cookie } = await auth.logoutUser(sessionToken(auth, event), requestInfo(event));
  applySessionCookie(event.cookies, cookie);
  event.locals.user = null;
  event.locals.session = null;
}

/**
 * What a route needs:
 * - 'public': anyone;
 * - 'guest-only': a visitor who is not signed in (sign-in, register);
 * - 'signed-in': a signed-in, active user;
 * - 'verified': as 'signed-in', and under `requireVerifiedEmail` a confirmed address;
 * - 'admin': as 'verified', role admin, and under `requireMfaForAdmins` a
 *   second factor on the account that this session passed.
 */
export type Access = 'public' | 'guest-only' | 'signed-in' | 'verified' | 'admin';

/** The settings a guard decision depends on (an Auth's `settings` has them). */
export type GuardSettings = Pick<AuthSettings, 'requireVerifiedEmail' | 'requireMfaForAdmins'>;

/**
 * What the guard decided. The refusals are those of the tRPC adapter's guards,
 * as a browser is answered: UNAUTHORIZED is 'login', INACTIVE and FORBIDDEN
 * are 'forbidden', EMAIL_UNVERIFIED is 'verify-email', MFA_REQUIRED is
 * 'enrol-second-factor' and NEEDS_REFRESH is 'reauthenticate'.
 */
export type GuardDecision =
  | { action: 'allow' }
  /** Anonymous on a protected page: send to the login page; `next` is the path and query to return to. */
  | { action: 'login'; next: string }
  /** Signed in but not allowed (not an admin, or a deactivated account). */
  | { action: 'forbidden' }
  /** Signed in on a guest-only page (sign-in, register). */
  | { action: 'signed-in' }
  /** `requireVerifiedEmail`, and the user's address is not confirmed yet. */
  | { action: 'verify-email' }
  /** `requireMfaForAdmins`, and the administrator has no second factor yet. */
  | { action: 'enrol-second-factor' }
  /**
   * `requireMfaForAdmins`, and this session did not pass the account's second
   * factor (e.g. a password-only session from before the set-up): confirm
   * with it, then back to `next`.
   */
  | { action: 'reauthenticate'; next: string };

/** The decision for a request, given the access its route needs and the Auth's settings. */
export function decideAccess(
  locals: AuthLocals,
  access: Access,
  url: URL,
  settings: GuardSettings,
): GuardDecision {
  const { user, session } = locals;
  if (access === 'public') return { action: 'allow' };
  if (access === 'guest-only') return user ? { action: 'signed-in' } : { action: 'allow' };
  const next = url.pathname + url.search;
  // A user comes with a session (null together); neither alone signs anyone in.
  if (!user || !session) return { action: 'login', next };
  if (!user.isActive) return { action: 'forbidden' };
  if (access === 'admin' && user.role !== 'admin') return { action: 'forbidden' };
  if (access !== 'signed-in' && settings.requireVerifiedEmail && !user.emailVerified) {
    return { action: 'verify-email' };
  }
  if (access === 'admin' && settings.requireMfaForAdmins) {
    // The same rule as the API's admin procedures (auth.checkAdminSession).
    if (!user.mfaEnabled) return { action: 'enrol-second-factor' };
    if (!passedSecondFactor(session.amr)) return { action: 'reauthenticate', next };
  }
  return { action: 'allow' };
}

/** `/login?next=...` for an anonymous visitor of `next`. */
export function loginPath(next: string, login = '/login'): string {
  return `${login}?${new URLSearchParams({ next }).toString()}`;
}

/** True when a sensitive action must first ask for the password again. */
export function needsReauthentication(auth: Auth, locals: AuthLocals): boolean {
  return !locals.session || !auth.isFresh(locals.session);
}

export interface AuthHandleOptions {
  /** The access a request needs; 'public' when omitted. */
  access?: (event: AuthRequestEvent) => Access;
  /**
   * Called for every guard decision other than 'allow' (the app throws its
   * redirect or error here). When omitted, such requests continue anyway.
   */
  onDenied?: (
    decision: Exclude<GuardDecision, { action: 'allow' }>,
    event: AuthRequestEvent,
  ) => never | void;
}

/**
 * A SvelteKit `handle`: runs the user loader, then the guard, then the route.
 * `auth` may be a function, so an app can create it lazily (at first request).
 *
 *   export const handle = createAuthHandle(getAuth, { access: accessFor, onDenied });
 */
export function createAuthHandle(
  auth: Auth | (() => Auth),
  options: AuthHandleOptions = {},
): <E extends AuthRequestEvent, R>(input: {
  event: E;
  resolve: (event: E) => R | Promise<R>;
}) => Promise<R> {
  return async ({ event, resolve }) => {
    const instance = typeof auth === 'function' ? auth() : auth;
    await loadUserIntoLocals(instance, event);
    const access = options.access?.(event) ?? 'public';
    const decision = decideAccess(event.locals, access, event.url, instance.settings);
    if (decision.action !== 'allow') options.onDenied?.(decision, event);
    return await resolve(event);
  };
}
