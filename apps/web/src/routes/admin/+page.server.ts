import { isAuthError } from '@authkit/auth';
import { requestInfo } from '@authkit/auth/sveltekit';
import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { setFlash } from '#lib/flash.ts';
import { formFields } from '#lib/forms.ts';
import { authFailure } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 20;

function pageNumber(url: URL): number {
  const value = Number(url.searchParams.get('page') ?? '1');
  return Number.isInteger(value) && value >= 1 && value <= 100_000 ? value : 1;
}

export const load: PageServerLoad = async ({ locals, url }) => {
  // The guard in hooks.server.ts lets only admins reach this page.
  const result = await getAuth().listUsers(locals.user!, {
    page: pageNumber(url),
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

function backToList(event: RequestEvent): never {
  const page = pageNumber(event.url);
  redirect(303, page > 1 ? `/admin?page=${page}` : '/admin');
}

function toReauth(event: RequestEvent): never {
  setFlash(event.cookies, event.url, {
    type: 'warning',
    message: 'For your security, please confirm your password to continue.',
  });
  const page = pageNumber(event.url);
  redirect(
    303,
    `/account/reauth?${new URLSearchParams({ next: page > 1 ? `/admin?page=${page}` : '/admin' })}`,
  );
}

export const actions: Actions = {
  setActive: async (event) => {
    const fields = formFields(await event.request.formData());
    const userId = fields.userId ?? '';
    const active = fields.active === 'true';
    if (!userId || (fields.active !== 'true' && fields.active !== 'false')) {
      return fail(400, { message: 'Choose a user and an action.' });
    }
    let username: string;
    try {
      const user = await getAuth().setActive(
        event.locals.user!,
        userId,
        active,
        requestInfo(event),
      );
      username = user.username;
    } catch (caught) {
      if (isAuthError(caught, 'NEEDS_REFRESH')) toReauth(event);
      const failure = authFailure(caught, {}, event.setHeaders);
      return fail(failure.status, { message: failure.data.message });
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message: active
        ? `${username} has been reactivated.`
        : `${username} has been deactivated and signed out everywhere.`,
    });
    backToList(event);
  },

  setRole: async (event) => {
    const fields = formFields(await event.request.formData());
    const userId = fields.userId ?? '';
    const role = fields.role;
    if (!userId || (role !== 'admin' && role !== 'user')) {
      return fail(400, { message: 'Choose a user and a role.' });
    }
    let username: string;
    try {
      const user = await getAuth().setRole(event.locals.user!, userId, role, requestInfo(event));
      username = user.username;
    } catch (caught) {
      if (isAuthError(caught, 'NEEDS_REFRESH')) toReauth(event);
      const failure = authFailure(caught, {}, event.setHeaders);
      return fail(failure.status, { message: failure.data.message });
    }
    setFlash(event.cookies, event.url, {
      type: 'success',
      message:
        role === 'admin'
          ? `${username} is now an administrator.`
          : `${username} is no longer an administrator.`,
    });
    backToList(event);
  },
};
