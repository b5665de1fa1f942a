// auth.*: sign-up, sign-in, the signed-in user's own sessions and activity,
// account recovery and email addresses (links by mail), and second factors
// (routes/second-factors.ts).
// Business rules live in @authkit/auth; these procedures only translate.
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { eventDto, sessionDto, sessionListItemDto, userDto } from '../dto.ts';
import {
  freshProcedure,
  protectedProcedure,
  publicProcedure,
  signedInFreshProcedure,
  signedInProcedure,
} from '../trpc.ts';
import { limits, noInput } from './inputs.ts';
import { passkeysRouter, secondFactorProcedures, totpRouter } from './second-factors.ts';
import {
  renewedSession,
  signedInAnswer,
  type SecondFactorPending,
  type SignInAnswer,
} from './sign-in.ts';

export const authRouter = {
  register: publicProcedure
    .input(
      z.strictObject({
        username: z.string().max(limits.username),
        email: z.string().max(limits.email),
        password: z.string().max(limits.password),
      }),
    )
    /**
     * `{ user }`; with REQUIRE_VERIFIED_EMAIL `{ user: null, verificationRequired:
     * true }` whether the address is new or already had an account (its owner
     * gets a notice): the answer does not tell who is registered.
     */
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.auth.signUp(input, ctx.request);
      if (result.verificationRequired) return { user: null, verificationRequired: true };
      return { user: userDto(result.user), verificationRequired: false };
    }),

  /**
   * `username` takes a username or an email address.
   *
   * The token goes out one way only. By default it is the HttpOnly session
   * cookie and never in the body: the web origin has credentialed CORS, so
   * script on it (an XSS) could read a token from the body and defeat HttpOnly.
   * `bearer: true` is for API clients that keep the token themselves: it comes
   * in the body, and no cookie is set.
   *
   * An account with a second factor gets no session here: the answer is
   * `{ secondFactorRequired: true, challenge }`, and auth.verifySecondFactor
   * with a code completes the sign-in within five minutes.
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
    .mutation(async ({ ctx, input }): Promise<SignInAnswer | SecondFactorPending> => {
      const outcome = await ctx.auth.signIn(
        { login: input.username, password: input.password, remember: input.remember ?? false },
        ctx.request,
      );
      if (outcome.status === 'second_factor') {
        return {
          secondFactorRequired: true,
          challenge: outcome.challenge,
          expiresAt: outcome.expiresAt.toISOString(),
        };
      }
      return signedInAnswer(ctx, outcome, { bearer: input.bearer });
    }),

  // Open to unverified users (REQUIRE_VERIFIED_EMAIL): they see who they are.
  me: signedInProcedure.input(noInput).query(({ ctx }) => ({
    user: userDto(ctx.user),
    session: sessionDto(ctx.session, ctx.auth.isFresh(ctx.session)),
  })),

  logout: signedInProcedure.input(noInput).mutation(async ({ ctx }) => {
    const { cookie } = await ctx.auth.logoutUser(ctx.token, ctx.request);
    if (ctx.via === 'cookie') ctx.response.cookie = cookie;
    return { ok: true as const };
  }),

  sessions: {
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
  },

  /**
   * How this account can sign in: whether it has a password (an account made
   * by an identity provider has none until it sets one), passkeys, TOTP,
   * connected providers. Separate from `me`, which reads nothing from the
   * database when the session is cached.
   */
  signInMethods: signedInProcedure
    .input(noInput)
    .query(({ ctx }) => ctx.auth.signInMethods(ctx.user.id)),

  /**
   * Connected identity providers. Connecting is a browser redirect flow and
   * stays on the site (POST /login/provider/<id> with intent=connect).
   */
  providers: {
    /** The configured providers (for buttons in other apps). */
    available: publicProcedure
      .input(noInput)
      .query(({ ctx }) =>
        ctx.auth.identityProviders().map((provider) => ({ id: provider.id, name: provider.name })),
      ),
    list: protectedProcedure.input(noInput).query(async ({ ctx }) => {
      const connected = await ctx.auth.listConnectedAccounts(ctx.session);
      return connected.map((item) => ({
        id: item.id,
        provider: item.provider,
        providerName: item.providerName,
        email: item.email,
        displayName: item.displayName,
        createdAt: item.createdAt.toISOString(),
        lastUsedAt: item.lastUsedAt?.toISOString() ?? null,
      }));
    }),
    /** Fresh session; 409 when it is the account's last way to sign in; 404 for another's. */
    disconnect: freshProcedure
      .input(z.strictObject({ connectionId: z.string().min(1).max(limits.id) }))
      .mutation(async ({ ctx, input }) => {
        await ctx.auth.disconnectProvider(ctx.session, input.connectionId, ctx.request);
        return { ok: true as const };
      }),
  },

  ...secondFactorProcedures,
  totp: totpRouter,
  passkeys: passkeysRouter,

  /** Re-enter the password: makes the session fresh again (unverified users too: an email change needs it). */
  reauthenticate: signedInProcedure
    .input(
      z.strictObject({
        password: z.string().max(limits.password),
        // An account with TOTP steps up with its second factor too.
        code: z.string().max(limits.code).optional(),
        recoveryCode: z.string().max(limits.recoveryCode).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const proof = input.recoveryCode
        ? { recoveryCode: input.recoveryCode }
        : input.code
          ? { code: input.code }
          : null;
      const renewed = await ctx.auth.confirmLogin(ctx.session, input.password, ctx.request, proof);
      return renewedSession(ctx, renewed);
    }),

  /** The signed-in user's own recent activity, newest first. */
  events: protectedProcedure
    .input(z.strictObject({ limit: z.number().int().min(1).max(100).optional() }).optional())
    .query(async ({ ctx, input }) => {
      const events = await ctx.auth.listEvents(ctx.user.id, input?.limit ?? 50);
      return events.map(eventDto);
    }),

  /**
   * Ends every other session of the user. Signed in is enough: the current
   * password is the confirmation, and a stale session comes out fresh.
   */
  changePassword: protectedProcedure
    .input(
      z.strictObject({
        currentPassword: z.string().max(limits.password),
        newPassword: z.string().max(limits.password),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const renewed = await ctx.auth.changePassword(ctx.session, input, ctx.request);
      return { ok: true as const, ...renewedSession(ctx, renewed) };
    }),

  /**
   * A first password for an account without one (made by an identity
   * provider): a fresh session (the provider sign-in itself, a passkey); 409
   * when the account has a password (changePassword's job). The owner is
   * mailed; the sessions' `hasPassword` follows at once.
   */
  setPassword: freshProcedure
    .input(z.strictObject({ newPassword: z.string().max(limits.password) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.auth.setPassword(ctx.session, input.newPassword, ctx.request);
      return { ok: true as const };
    }),

  // ---- account recovery (public: the user cannot sign in) ----

  /**
   * "Forgot password": mails a reset link when `login` (username or email)
   * names an active account. The same answer otherwise, so it tells nobody who
   * has an account; 429 when throttled (per name as typed and per address; the
   * owner's device token, cookie or X-Device-Token, is exempt from both).
   */
  requestPasswordReset: publicProcedure
    .input(z.strictObject({ login: z.string().max(limits.email) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.auth.requestPasswordReset(input.login, ctx.request);
      return { ok: true as const };
    }),

  /**
   * Whether a reset link still works (the page asks before showing the form), and the account's
   * passkeys: those added recently (`recent`) are offered for removal with the reset. Uses nothing up.
   */
  checkPasswordResetToken: publicProcedure
    .input(z.strictObject({ token: z.string().max(limits.token) }))
    .query(async ({ ctx, input }) => {
      const owner = await ctx.auth.checkPasswordResetToken(input.token);
      if (!owner) return { valid: false as const };
      const passkeys = owner.passkeys.map((key) => ({
        id: key.id,
        name: key.name,
        createdAt: key.createdAt.toISOString(),
        lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
        recent: key.recent,
      }));
      return { valid: true as const, username: owner.username, passkeys };
    }),

  /**
   * Sets a new password through a reset link and ends every session of the
   * user (this caller's too); removes the account's passkeys named in
   * `removePasskeys` (ids from checkPasswordResetToken), no others. 400 with
   * fieldErrors.token, .newPassword or .removePasskeys.
   */
  resetPassword: publicProcedure
    .input(
      z.strictObject({
        token: z.string().max(limits.token),
        newPassword: z.string().max(limits.password),
        removePasskeys: z.array(z.string().min(1).max(1024)).max(32).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await ctx.auth.resetPassword(input.token, input.newPassword, ctx.request, {
        removePasskeys: input.removePasskeys ?? [],
      });
      return { ok: true as const };
    }),

  // ---- email addresses ----

  /**
   * Uses a verification or email-change link. Public: the link may be opened
   * in another browser, without a session. 400 with fieldErrors.token.
   */
  verifyEmail: publicProcedure
    .input(z.strictObject({ token: z.string().max(limits.token) }))
    .mutation(async ({ ctx, input }) => {
      // An email change ends every other session of the account; the caller's own stays.
      const { user, changed } = await ctx.auth.verifyEmail(input.token, ctx.request, {
        keepSessionId: ctx.session?.id ?? null,
      });
      // Only the address: whoever holds the link may not be signed in as its owner.
      return { ok: true as const, email: user.email, changed };
    }),

  /** Mails a new verification link (429 when throttled). Open to unverified users: that is its point. */
  resendVerification: signedInProcedure.input(noInput).mutation(async ({ ctx }) => {
    const { alreadyVerified } = await ctx.auth.resendVerification(ctx.session, ctx.request);
    return { alreadyVerified };
  }),

  /**
   * Mails a link to the new address (the change happens when it is used) and
   * a notice to the current one. An address that has an account gets the same
   * answer (its owner a notice instead of the link), so this tells nobody who
   * is registered. Needs a fresh session; open to unverified users, who may
   * have signed up with a wrong address.
   */
  requestEmailChange: signedInFreshProcedure
    .input(z.strictObject({ email: z.string().max(limits.email) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.auth.requestEmailChange(ctx.session, input.email, ctx.request);
      return { ok: true as const };
    }),

  /** The change of address waiting for its link, or null. The same whether or not the new address has an account. */
  pendingEmailChange: signedInProcedure.input(noInput).query(async ({ ctx }) => {
    const pending = await ctx.auth.pendingEmailChange(ctx.session);
    return (
      pending && {
        email: pending.email,
        requestedAt: pending.requestedAt,
        expiresAt: pending.expiresAt,
      }
    );
  }),

  /**
   * Mails the pending change's link again (a new link; the earlier one stops
   * working), to the pending address only: it takes no address. 429 within the
   * first send's quota; 404 when no change is pending.
   */
  resendEmailChange: signedInProcedure.input(noInput).mutation(async ({ ctx }) => {
    const { email } = await ctx.auth.resendEmailChange(ctx.session, ctx.request);
    return { ok: true as const, email };
  }),

  /** Withdraws the pending change: its link stops working. */
  cancelEmailChange: signedInProcedure.input(noInput).mutation(async ({ ctx }) => {
    const { cancelled } = await ctx.auth.cancelEmailChange(ctx.session, ctx.request);
    return { ok: true as const, cancelled };
  }),
} satisfies TRPCRouterRecord;
