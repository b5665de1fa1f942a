import { getAuth } from '#lib/server/auth.ts';
import { takeFailedSignIns } from '#lib/server/failed-sign-ins.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, cookies }) => {
  // The guard in hooks.server.ts lets only signed-in users reach this page.
  const session = locals.session!;
  return {
    session: {
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
      remember: session.remember,
      fresh: getAuth().isFresh(session),
    },
    memberSince: locals.user!.createdAt,
    failedSignIns: takeFailedSignIns(cookies),
  };
};
