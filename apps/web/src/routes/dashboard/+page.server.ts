import { getAuth } from '#lib/server/auth.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => {
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
  };
};
