// auth.*: sign-up, sign-in and the signed-in user's own sessions and activity.
// Business rules live in @authkit/auth; these procedures only translate.
import { z } from 'zod';
import { eventDto, sessionDto, sessionListItemDto, userDto } from '../dto.ts';
import { freshProcedure, protectedProcedure, publicProcedure, router } from '../trpc.ts';
import { limits, noInput } from './inputs.ts';

export const authRouter = router({
  register: publicProcedure
    .input(
      z.strictObject({
        username: z.string().max(limits.username),
        email: z.string().max(limits.email),
        password: z.string().max(limits.password),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.auth.registerUser(input, ctx.request);
      return { user: userDto(user) };
    }),

  /**
   * `username` takes a username or an email address.
   *
   * The token goes out one way only. By default it is the HttpOnly session
   * cookie and never in the body: the web origin has credentialed CORS, so
   * script on it (an XSS) could read a token from the body and defeat HttpOnly.
   * `bearer: true` is for API clients that keep the token themselves: it comes
   * in the body, and no cookie is set.
   */
  login: publicProcedure
    .input(
      z.strictObject({
        username: z.string().max(limits.email),
        password: z.string().max(limits.password),
        remember: z.boolean().optional(),
        bearer: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.auth.authenticate(input.username, input.password, ctx.request);
      // Counted before this sign-in becomes the last one.
      const failedSignInsSinceLastVisit = await ctx.auth.failedSignInsSinceLastVisit(user.id);
      const login = await ctx.auth.loginUser(
        user,
        { remember: input.remember ?? false },
        ctx.request,
      );
      // This client is now a trusted device of the account (rotated on every sign-in).
      const device = await ctx.auth.trustDevice(user, ctx.request);
      const expiresAt = login.session.expiresAt.toISOString();
      const result = { user: userDto(user), expiresAt, failedSignInsSinceLastVisit };
      if (input.bearer === true) {
        // Bearer clients keep the device token and send it as X-Device-Token.
        return { ...result, token: login.token, deviceToken: device.token };
      }
      ctx.response.cookie = login.cookie;
      ctx.response.deviceCookie = device.cookie;
      return result;
    }),

  me: protectedProcedure.input(noInput).query(({ ctx }) => ({
    user: userDto(ctx.user),
    session: sessionDto(ctx.session, ctx.auth.isFresh(ctx.session)),
  })),

  logout: protectedProcedure.input(noInput).mutation(async ({ ctx }) => {
    const { cookie } = await ctx.auth.logoutUser(ctx.token, ctx.request);
    if (ctx.via === 'cookie') ctx.response.cookie = cookie;
    return { ok: true as const };
  }),

  sessions: router({
    list: protectedProcedure.input(noInput).query(async ({ ctx }) => {
      const sessions = await ctx.auth.listSessions(ctx.session);
      return sessions.map((session) => sessionListItemDto(session, ctx.auth.isFresh(session)));
    }),

    revoke: protectedProcedure
      .input(z.strictObject({ sessionId: z.string().min(1).max(limits.id) }))
      .mutation(async ({ ctx, input }) => {
        await ctx.auth.revokeSession(ctx.session, input.sessionId, ctx.request);
        // Revoking the current session is a sign-out: clear the cookie too.
        if (input.sessionId === ctx.session.id && ctx.via === 'cookie')
          ctx.response.cookie = ctx.auth.blankCookie(ctx.request);
        return { ok: true as const };
      }),

    revokeOthers: protectedProcedure.input(noInput).mutation(async ({ ctx }) => {
      const revoked = await ctx.auth.revokeOtherSessions(ctx.session, ctx.request);
      return { revoked };
    }),
  }),

  /** Re-enter the password: makes the session fresh again. */
  reauthenticate: protectedProcedure
    .input(z.strictObject({ password: z.string().max(limits.password) }))
    .mutation(async ({ ctx, input }) => {
      const session = await ctx.auth.confirmLogin(ctx.session, input.password, ctx.request);
      return { session: sessionDto(session, ctx.auth.isFresh(session)) };
    }),

  /** The signed-in user's own recent activity, newest first. */
  events: protectedProcedure
    .input(z.strictObject({ limit: z.number().int().min(1).max(100).optional() }).optional())
    .query(async ({ ctx, input }) => {
      const events = await ctx.auth.listEvents(ctx.user.id, input?.limit ?? 50);
      return events.map(eventDto);
    }),

  /** Ends every other session of the user. */
  changePassword: freshProcedure
    .input(
      z.strictObject({
        currentPassword: z.string().max(limits.password),
        newPassword: z.string().max(limits.password),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await ctx.auth.changePassword(ctx.session, input, ctx.request);
      return { ok: true as const };
    }),
});
