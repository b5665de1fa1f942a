import type { PublicUser } from '@authkit/auth';
import { requestInfo } from '@authkit/auth/sveltekit';
import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
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
      role: user.role,
      active: user.active,
      createdAt: user.createdAt,
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
async function applyChange(
  event: RequestEvent,
  change: () => Promise<PublicUser>,
  done: (user: PublicUser) => string,
) {
  let user: PublicUser;
  try {
    user = await change();
  } catch (caught) {
    const { status, message } = refusedChange(caught, event, listPath(event.url));
    return fail(status, { message });
  }
  setFlash(event.cookies, event.url, { type: 'success', message: done(user) });
  redirect(303, listPath(event.url));
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
