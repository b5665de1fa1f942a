import { requestInfo } from '@authkit/auth/sveltekit';
import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { readFormFields, refusedChange } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import { requireAdmin } from '#lib/server/guard.ts';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 20;

function pageNumber(url: URL): number {
  const value = Number(url.searchParams.get('page') ?? '1');
  return Number.isInteger(value) && value >= 1 && value <= 100_000 ? value : 1;
}

export const load: PageServerLoad = async (event) => {
  const { user: admin } = requireAdmin(event);
  const result = await getAuth().listUsers(admin, {
    page: pageNumber(event.url),
    pageSize: PAGE_SIZE,
  });
  return {
    users: result.users.map((user) => ({
      id: user.id,
      username: user.username,
      email: user.email,
      emailVerified: user.emailVerified,
      role: user.role,
      active: user.active,
      createdAt: user.createdAt,
      secondFactors: { totp: user.secondFactors.totp, passkeys: user.secondFactors.passkeys },
    })),
    total: result.total,
    page: result.page,
    pageSize: result.pageSize,
    pages: Math.max(1, Math.ceil(result.total / result.pageSize)),
  };
};

/** The list page the admin was on (`?page=` of the action's URL). */
function listPath(url: URL): string {
  const page = pageNumber(url);
  return page > 1 ? `/admin?page=${page}` : '/admin';
}

/**
 * Applies one change to a user. Done: a flash message that says what changed,
 * and back to the list. Refused: the message for the form (a session that is
 * not fresh first re-enters the password).
 */
async function applyChange<Result>(
  event: RequestEvent,
  change: () => Promise<Result>,
  done: (result: Result) => string,
) {
  let result: Result;
  try {
    // Admin changes need a session fresh by the admin's strongest factor (the auth package's rule).
    const { user, session } = requireAdmin(event);
    getAuth().checkAdminSession(user, session, { mutation: true });
    result = await change();
  } catch (caught) {
    const { status, message } = refusedChange(caught, event, listPath(event.url));
    return fail(status, { message });
  }
  setFlash(event.cookies, event.url, { type: 'success', message: done(result) });
  redirect(303, listPath(event.url));
}

/** The posted user id ('' when missing). */
async function postedUserId(event: RequestEvent): Promise<string> {
  return (await readFormFields(event.request)).userId ?? '';
}

export const actions: Actions = {
  setActive: async (event) => {
    const { user: admin } = requireAdmin(event);
    const fields = await readFormFields(event.request);
    const userId = fields.userId ?? '';
    if (!userId || (fields.active !== 'true' && fields.active !== 'false')) {
      return fail(400, { message: 'Choose a user and an action.' });
    }
    const active = fields.active === 'true';
    return applyChange(
      event,
      () => getAuth().setActive(admin, userId, active, requestInfo(event)),
      (user) =>
        active
          ? `${user.username} has been reactivated.`
          : `${user.username} has been deactivated and signed out everywhere.`,
    );
  },

  // ASVS 6.4.6: an admin never sets somebody's password; the user gets a link.
  sendResetLink: async (event) => {
    const { user: admin } = requireAdmin(event);
    const userId = await postedUserId(event);
    if (!userId) return fail(400, { message: 'Choose a user.' });
    return applyChange(
      event,
      async () => {
        await getAuth().sendPasswordResetLink(admin, userId, requestInfo(event));
        return userId;
      },
      () => 'A password reset link is on its way to the user’s email address.',
    );
  },

  endSessions: async (event) => {
    const { user: admin } = requireAdmin(event);
    const userId = await postedUserId(event);
    if (!userId) return fail(400, { message: 'Choose a user.' });
    return applyChange(
      event,
      () => getAuth().endUserSessions(admin, userId, requestInfo(event)),
      (count) =>
        count === 0
          ? 'The user was not signed in anywhere.'
          : `The user has been signed out of ${count} ${count === 1 ? 'session' : 'sessions'}.`,
    );
  },

  // Two steps, so that it works without JavaScript: the first post asks to confirm.
  resetSecondFactor: async (event) => {
    const { user: admin } = requireAdmin(event);
    const fields = await readFormFields(event.request);
    const userId = fields.userId ?? '';
    if (!userId) return fail(400, { message: 'Choose a user.' });
    if (fields.confirm !== 'yes') {
      return { confirmReset: { userId, username: (fields.username ?? '').slice(0, 64) } };
    }
    return applyChange(
      event,
      () => getAuth().resetSecondFactor(admin, userId, requestInfo(event)),
      () =>
        'The user’s two-step verification and passkeys have been removed; they have been told by email.',
    );
  },

  setRole: async (event) => {
    const { user: admin } = requireAdmin(event);
    const fields = await readFormFields(event.request);
    const userId = fields.userId ?? '';
    const role = fields.role;
    if (!userId || (role !== 'admin' && role !== 'user')) {
      return fail(400, { message: 'Choose a user and a role.' });
    }
    return applyChange(
      event,
      () => getAuth().setRole(admin, userId, role, requestInfo(event)),
      (user) =>
        role === 'admin'
          ? `${user.username} is now an administrator.`
          : `${user.username} is no longer an administrator.`,
    );
  },
};
