// The API's procedures; `AppRouter` is the type the typed clients import.
import { TRPCError } from '@trpc/server';
import { unavailableMessage } from './errors.ts';
import { databaseUp } from './health.ts';
import { adminRouter } from './routes/admin.ts';
import { authRouter } from './routes/auth.ts';
import { noInput } from './routes/inputs.ts';
import { publicProcedure, router } from './trpc.ts';

export const appRouter = router({
  /** 503 while the database is unreachable, like GET /health. */
  health: publicProcedure.input(noInput).query(async ({ ctx }) => {
    if (!(await databaseUp(ctx.auth.database))) {
      throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: unavailableMessage });
    }
    return { ok: true as const, db: 'up' as const };
  }),
  /** A constant, no database call: what a public procedure costs on this server (the benchmark's ceiling). */
  ping: publicProcedure.input(noInput).query(() => ({ ok: true as const })),
  auth: authRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
