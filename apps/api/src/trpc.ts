// The tRPC instance and the four procedure levels of the API.
import { requireAdmin, requireFresh, requireUser, type AuthContext } from '@authkit/auth/trpc';
import { initTRPC } from '@trpc/server';
import { formatError, toTRPCError } from './errors.ts';

/** Built per request by context.ts. */
export type Context = AuthContext;

const t = initTRPC.context<Context>().create({
  // Plain JSON, no transformer: any HTTP client can call the API.
  errorFormatter: ({ shape, error }) => formatError(shape, error),
});

export const router = t.router;

// Outermost middleware of every procedure: what the auth package throws on
// purpose (AuthError) and database outages become their HTTP status instead
// of a 500.
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

export const publicProcedure = t.procedure.use(mapErrors);

/** 401 when anonymous, 403 (reason inactive) for a deactivated account. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) =>
  next({ ctx: requireUser(ctx) }),
);

/** 403 with reason needs_refresh unless the password was entered within the fresh window. */
export const freshProcedure = publicProcedure.use(async ({ ctx, next, path }) =>
  next({ ctx: await requireFresh(ctx, path) }),
);

/** 403 (reason forbidden) unless the user's role is admin. */
export const adminProcedure = publicProcedure.use(({ ctx, next }) =>
  next({ ctx: requireAdmin(ctx) }),
);
