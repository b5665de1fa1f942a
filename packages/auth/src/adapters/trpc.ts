// tRPC adapter: the request's auth context and the guards behind protected,
// fresh and admin procedures. It imports nothing from @trpc/server (the auth
// package does not depend on it): guards throw AuthError, and `trpcErrorCode`
// tells the app which TRPCError code to raise for it.
import { AuthError, type AuthErrorCode } from '../errors.ts';
import type {
  Auth,
  AuthenticatedUser,
  CurrentUser,
  RequestInfo,
  SessionCookie,
  SessionInfo,
} from '../types.ts';

export interface AuthContext {
  auth: Auth;
  request: RequestInfo;
  /** The token the client sent, and how. */
  token: string | null;
  via: 'cookie' | 'bearer' | null;
  user: CurrentUser;
  session: SessionInfo | null;
  /**
   * What to send back with the response. One object shared by every copy of
   * the context (tRPC middlewares copy `ctx`), so a procedure can set it.
   */
  response: {
    /** The cookie to set (refreshed, cleared, login, logout); the last one set wins. */
    cookie: SessionCookie | null;
    /** The device cookie a sign-in earned, if any. */
    deviceCookie?: SessionCookie | null;
  };
}

export interface SignedInContext extends AuthContext {
  user: AuthenticatedUser;
  session: SessionInfo;
}

/**
 * Runs the user loader for a token found by `auth.tokenFromHeaders` (without a
 * token it answers anonymous at once, with no database call). A cookie refresh
 * or clear is kept for the response only when the token came from the cookie:
 * bearer clients have no cookie to maintain.
 */
export async function createAuthContext(
  auth: Auth,
  credentials: { token: string | null; via: 'cookie' | 'bearer' | null },
  request: RequestInfo,
): Promise<AuthContext> {
  const { token, via } = credentials;
  const loaded = await auth.loadUser(token, request);
  return {
    auth,
    request,
    token,
    via,
    user: loaded.user,
    session: loaded.session,
    response: { cookie: via === 'cookie' ? loaded.cookie : null },
  };
}

/** protectedProcedure: a signed-in, active user. */
export function requireUser(ctx: AuthContext): SignedInContext {
  if (!ctx.user.isAuthenticated || !ctx.session) {
    throw new AuthError('UNAUTHORIZED', 'Sign in to continue.');
  }
  if (!ctx.user.isActive) {
    throw new AuthError('INACTIVE', 'This account is deactivated.');
  }
  return { ...ctx, user: ctx.user, session: ctx.session };
}

/**
 * With REQUIRE_VERIFIED_EMAIL: a signed-in user whose email address is
 * verified (EMAIL_UNVERIFIED otherwise). Without it: `requireUser`.
 */
export function requireVerifiedEmail(ctx: AuthContext): SignedInContext {
  const signedIn = requireUser(ctx);
  if (ctx.auth.settings.requireVerifiedEmail && !signedIn.user.emailVerified) {
    throw new AuthError('EMAIL_UNVERIFIED', 'Confirm your email address first: follow the link we sent you.');
  }
  return signedIn;
}

/**
 * freshProcedure: a password entered within the fresh window. A refusal is
 * recorded as a `needs_refresh` event (Flask-Login's needs_refresh signal),
 * at most once a minute per session.
 */
export async function requireFresh(ctx: AuthContext, action: string): Promise<SignedInContext> {
  const signedIn = requireUser(ctx);
  if (!ctx.auth.isFresh(signedIn.session)) {
    await ctx.auth.recordNeedsRefresh(signedIn.session, ctx.request, action);
    throw new AuthError(
      'NEEDS_REFRESH',
      signedIn.session.stepUp === 'second_factor'
        ? 'Confirm with your authenticator code or a passkey to continue.'
        : 'Enter your password again to continue.',
    );
  }
  return signedIn;
}

/**
 * adminProcedure: role admin, and (REQUIRE_MFA_FOR_ADMINS, the default) a
 * second factor on the account (MFA_REQUIRED otherwise) that this session
 * passed; `mutation`: fresh by the account's strongest factor too
 * (auth.checkAdminSession). The enrolment procedures are not admin
 * procedures, so such an admin can still enrol.
 */
export function requireAdminSession(ctx: AuthContext, options: { mutation: boolean } = { mutation: false }): SignedInContext {
  const signedIn = requireUser(ctx);
  ctx.auth.checkAdminSession(signedIn.user, signedIn.session, options);
  return signedIn;
}

/** The TRPCError code keys this adapter maps to (a subset of tRPC's). */
export type TrpcErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE';

export const trpcErrorCode: Record<AuthErrorCode, TrpcErrorCode> = {
  VALIDATION: 'BAD_REQUEST',
  INVALID_CREDENTIALS: 'UNAUTHORIZED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NEEDS_REFRESH: 'FORBIDDEN',
  INACTIVE: 'FORBIDDEN',
  EMAIL_UNVERIFIED: 'FORBIDDEN',
  FORBIDDEN: 'FORBIDDEN',
  MFA_REQUIRED: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  THROTTLED: 'TOO_MANY_REQUESTS',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** A machine-readable reason for clients, where the HTTP status alone is ambiguous. */
export function authErrorReason(error: AuthError): string | null {
  switch (error.code) {
    case 'NEEDS_REFRESH':
      return 'needs_refresh';
    case 'INACTIVE':
      return 'inactive';
    case 'EMAIL_UNVERIFIED':
      return 'email_unverified';
    case 'FORBIDDEN':
      return 'forbidden';
    case 'MFA_REQUIRED':
      return 'mfa_required';
    case 'INVALID_CREDENTIALS':
      return 'invalid_credentials';
    case 'THROTTLED':
      return 'throttled';
    default:
      return null;
  }
}
