// The tRPC instance and the four procedure levels of the API.
import {
  requireAdminSession,
  requireFresh,
  requireUser,
  requireVerifiedEmail,
  type AuthContext,
  type SignedInContext,
} from '@authkit/auth/trpc';
import { initTRPC } from '@trpc/server';
import { formatError } from './errors.ts';

/** Built per request by context.ts. */
export type Context = AuthContext;

const t = initTRPC.context<Context>().create({
  // Plain JSON, no transformer: any HTTP client can call the API.
  // The formatter also gives what the auth package throws on purpose
  // (AuthError) and database outages their own code and HTTP status instead
  // of a 500 (tRPC takes the status from the formatted shape). Done there
  // rather than in a middleware wrapped around every procedure: a middleware
  // layer costs every call two copies of its options, errors or not.
  errorFormatter: ({ shape, error }) => formatError(shape, error),
});

export const router = t.router;

export const publicProcedure = t.procedure;

// With REQUIRE_VERIFIED_EMAIL=true, every signed-in procedure also needs a
// verified email address (403, reason email_unverified), except the few an
// unverified user needs to get out of that state: see who they are, sign out,
// resend the link, and fix a wrong address (which needs a fresh session, so
// reauthenticate too). Those use the `signedIn*` builders.

/** 401 when anonymous, 403 (reason inactive) for a deactivated account; the email need not be verified. */
export const signedInProcedure = publicProcedure.use(({ ctx, next }) =>
  next({ ctx: narrowed(requireUser(ctx)) }),
);

/** signedInProcedure, plus 403 with reason needs_refresh unless the session is fresh. */
export const signedInFreshProcedure = publicProcedure.use(async ({ ctx, next, path }) =>
  next({ ctx: narrowed(await requireFresh(ctx, path)) }),
);

/** 401 when anonymous, 403 (reason inactive, or email_unverified when verification is required). */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) =>
  next({ ctx: narrowed(requireVerifiedEmail(ctx)) }),
);

/** protectedProcedure, plus 403 with reason needs_refresh unless the password was entered within the fresh window. */
export const freshProcedure = publicProcedure.use(async ({ ctx, next, path }) => {
  requireVerifiedEmail(ctx);
  return next({ ctx: narrowed(await requireFresh(ctx, path)) });
});

/**
 * protectedProcedure, plus 403 (reason forbidden) unless the user's role is
 * admin; with REQUIRE_MFA_FOR_ADMINS a session that passed the second factor;
 * and for mutations a session fresh by it (reason needs_refresh: step up).
 */
export const adminProcedure = publicProcedure.use(({ ctx, next, type }) => {
  // A member is told `forbidden` (verifying would not help them), an unverified admin to verify.
  const signedIn = requireAdminSession(ctx, { mutation: type === 'mutation' });
  requireVerifiedEmail(ctx);
  return next({ ctx: narrowed(signedIn) });
});

/**
 * What a level adds to the context: the signed-in user and session, no longer
 * nullable. Only these two: tRPC merges what `next` gets into a copy of the
 * context (every key of both, on every call).
 */
function narrowed({ user, session }: SignedInContext) {
  return { user, session };
}
