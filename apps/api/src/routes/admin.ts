// admin.*: user management. The auth package checks again that the actor is an admin.
import { USER_SEARCH_MAX_LENGTH } from '@authkit/auth';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { userDto } from '../dto.ts';
import { adminProcedure } from '../trpc.ts';
import { limits } from './inputs.ts';

const userId = z.string().min(1).max(limits.id);

export const adminRouter = {
  users: {
    list: adminProcedure
      .input(
        z
          .strictObject({
            page: z.number().int().min(1).max(1_000_000).default(1),
            pageSize: z.number().int().min(1).max(100).default(20),
            /** A piece of a username or email, any case, taken literally (the auth package also bounds it once normalised). */
            search: z.string().max(USER_SEARCH_MAX_LENGTH).optional(),
            /** Each one narrows the list; all of them together. */
            filters: z
              .strictObject({
                admins: z.boolean().optional(),
                deactivated: z.boolean().optional(),
                withoutTwoStep: z.boolean().optional(),
              })
              .optional(),
          })
          // Parsed, so the defaults apply when the input is left out.
          .prefault({}),
      )
      .query(async ({ ctx, input }) => {
        const page = await ctx.auth.listUsers(ctx.user, input);
        return {
          // Admins see who has which second factor.
          users: page.users.map((user) => ({
            ...userDto(user),
            secondFactors: user.secondFactors,
            // Password or not, passkeys, TOTP, connected providers (ids).
            signInMethods: user.signInMethods,
          })),
          total: page.total,
          page: page.page,
          pageSize: page.pageSize,
        };
      }),

    /** Deactivating ends all the user's sessions at once. */
    setActive: adminProcedure
      .input(z.strictObject({ userId, active: z.boolean() }))
      .mutation(async ({ ctx, input }) => {
        const user = await ctx.auth.setActive(ctx.user, input.userId, input.active, ctx.request);
        return { user: userDto(user) };
      }),

    setRole: adminProcedure
      .input(z.strictObject({ userId, role: z.enum(['user', 'admin']) }))
      .mutation(async ({ ctx, input }) => {
        const user = await ctx.auth.setRole(ctx.user, input.userId, input.role, ctx.request);
        return { user: userDto(user) };
      }),

    /** Mails the user a password reset link: an admin never sets somebody's password. */
    sendPasswordResetLink: adminProcedure
      .input(z.strictObject({ userId }))
      .mutation(async ({ ctx, input }) => {
        await ctx.auth.sendPasswordResetLink(ctx.user, input.userId, ctx.request);
        return { ok: true as const };
      }),

    /**
     * For a user who lost their authenticator: removes TOTP, recovery codes and
     * passkeys (audited; the user is told by mail). Their password alone signs in after it.
     */
    resetSecondFactor: adminProcedure
      .input(z.strictObject({ userId }))
      .mutation(async ({ ctx, input }) => {
        await ctx.auth.resetSecondFactor(ctx.user, input.userId, ctx.request);
        return { ok: true as const };
      }),

    /** Signs the user out of every session (the admin's own, if it is their account). */
    endSessions: adminProcedure
      .input(z.strictObject({ userId }))
      .mutation(async ({ ctx, input }) => {
        const ended = await ctx.auth.endUserSessions(ctx.user, input.userId, ctx.request);
        return { ended };
      }),
  },
} satisfies TRPCRouterRecord;
