import { describeConfirmation } from '#lib/confirmed-by.ts';
import { getAuth } from '#lib/server/auth.ts';
import { requireSignedIn } from '#lib/server/guard.ts';
import { takeFailedSignIns } from '#lib/server/failed-sign-ins.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
  const { user, session } = requireSignedIn(event);
  return {
    session: {
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
      remember: session.remember,
      fresh: getAuth().isFresh(session),
      /** What the session was last confirmed with (a passkey confirms as a password does). */
      confirmedBy: describeConfirmation(session.amr),
    },
    memberSince: user.createdAt,
    /** Without it, the page suggests turning on two-step verification. */
    mfaEnabled: user.mfaEnabled,
    failedSignIns: takeFailedSignIns(event.cookies),
  };
};
