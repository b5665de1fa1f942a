import { isAuthError, USER_SEARCH_MAX_LENGTH } from '@authkit/auth';
import { requestInfo } from '@authkit/auth/sveltekit';
import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { setFlash } from '#lib/server/flash.ts';
import { readFormFields, refusedChange } from '#lib/server/actions.ts';
import { getAuth } from '#lib/server/auth.ts';
import { requireAdmin } from '#lib/server/guard.ts';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 20;

/** The list's filters as the page's query names them (`?filter=admins&filter=deactivated`). */
const FILTERS = {
  admins: 'admins',
  deactivated: 'deactivated',
  'without-two-step': 'withoutTwoStep',
} as const;
type FilterName = keyof typeof FILTERS;

/** What the list shows, from the URL (a GET form: it works without JavaScript). */
interface ListQuery {
  page: number;
  search: string;
  filters: FilterName[];
}

function listQuery(url: URL): ListQuery {
  const value = Number(url.searchParams.get('page') ?? '1');
  const page = Number.isInteger(value) && value >= 1 && value <= 100_000 ? value : 1;
  const search = (url.searchParams.get('q') ?? '').trim();
  // Unknown names are ignored, each known one counts once.
  const filters = (Object.keys(FILTERS) as FilterName[]).filter((name) =>
    url.searchParams.getAll('filter').includes(name),
  );
  return { page, search, filters };
}

/** The query string of the list (without `?`): what links and redirects keep. */
function queryString(query: ListQuery, page = query.page): string {
  const params = new URLSearchParams();
  if (query.search) params.set('q', query.search);
  for (const name of query.filters) params.append('filter', name);
  if (page > 1) params.set('page', String(page));
  return params.toString();
}

export const load: PageServerLoad = async (event) => {
  const { user: admin } = requireAdmin(event);
  const query = listQuery(event.url);
  let result;
  let searchErrors: string[] = [];
  try {
    result = await getAuth().listUsers(admin, {
      page: query.page,
      pageSize: PAGE_SIZE,
      search: query.search,
      filters: Object.fromEntries(query.filters.map((name) => [FILTERS[name], true])),
    });
  } catch (caught) {
    // A search too long for the list (the field says so; nothing is listed).
    if (!isAuthError(caught, 'VALIDATION')) throw caught;
    searchErrors = caught.fieldErrors.search ?? [caught.message];
    result = { users: [], total: 0, page: 1, pageSize: PAGE_SIZE };
  }
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
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
    pages,
    search: query.search,
    searchMaxLength: USER_SEARCH_MAX_LENGTH,
    searchErrors,
    filters: query.filters,
    /** Narrowed by a search or a filter. */
    narrowed: query.search !== '' || query.filters.length > 0,
    /** This list's query string (without `?`), for the action URLs and Cancel. */
    listQuery: queryString(query),
    previousQuery: result.page > 1 ? queryString(query, result.page - 1) : null,
    nextQuery: result.page < pages ? queryString(query, result.page + 1) : null,
  };
};

/** The list the admin was on (search, filters and page of the action's URL). */
function listPath(url: URL): string {
  const query = queryString(listQuery(url));
  return query ? `/admin?${query}` : '/admin';
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

/** What the page shows before a destructive or privilege change: one shape for every action. */
interface Confirmation {
  /** The form action that the confirmation posts to again, with `confirm=yes`. */
  action: 'setActive' | 'setRole' | 'endSessions' | 'resetSecondFactor';
  /** The action's other fields, posted again unchanged. */
  fields: Record<string, string>;
  userId: string;
  username: string;
  question: string;
  consequence: string;
  button: string;
}

type Wording = Pick<Confirmation, 'question' | 'consequence' | 'button'>;

/**
 * The first post of a destructive or privilege change only asks (a 200 with
 * the question, nothing changed; it works without JavaScript): the user is
 * looked up so that the question names them.
 */
async function askFirst(
  event: RequestEvent,
  userId: string,
  action: Confirmation['action'],
  fields: Record<string, string>,
  wording: (username: string) => Wording,
) {
  const { user: admin } = requireAdmin(event);
  let username: string;
  try {
    username = (await getAuth().getUserForAdmin(admin, userId)).username;
  } catch (caught) {
    const { status, message } = refusedChange(caught, event, listPath(event.url));
    return fail(status, { message });
  }
  const confirm: Confirmation = { action, fields, userId, username, ...wording(username) };
  return { confirm };
}

/** The user's name for a result message (NOT_FOUND for an unknown id, before anything changes). */
async function usernameOf(event: RequestEvent, userId: string): Promise<string> {
  const { user: admin } = requireAdmin(event);
  return (await getAuth().getUserForAdmin(admin, userId)).username;
}

const sessionCount = (count: number) => `${count} ${count === 1 ? 'session' : 'sessions'}`;

export const actions: Actions = {
  setActive: async (event) => {
    const { user: admin } = requireAdmin(event);
    const fields = await readFormFields(event.request);
    const userId = fields.userId ?? '';
    if (!userId || (fields.active !== 'true' && fields.active !== 'false')) {
      return fail(400, { message: 'Choose a user and an action.' });
    }
    const active = fields.active === 'true';
    // Reactivating gives back nothing but what the user had: one click.
    if (!active && fields.confirm !== 'yes') {
      return askFirst(event, userId, 'setActive', { active: 'false' }, (username) => ({
        question: `Deactivate ${username}?`,
        consequence:
          'They are signed out on every device at once and cannot sign in until an administrator reactivates the account. They are told by email.',
        button: 'Yes, deactivate',
      }));
    }
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
    const userId = (await readFormFields(event.request)).userId ?? '';
    if (!userId) return fail(400, { message: 'Choose a user.' });
    return applyChange(
      event,
      async () => {
        const username = await usernameOf(event, userId);
        await getAuth().sendPasswordResetLink(admin, userId, requestInfo(event));
        return username;
      },
      (username) => `A password reset link is on its way to ${username}’s email address.`,
    );
  },

  endSessions: async (event) => {
    const { user: admin } = requireAdmin(event);
    const fields = await readFormFields(event.request);
    const userId = fields.userId ?? '';
    if (!userId) return fail(400, { message: 'Choose a user.' });
    if (fields.confirm !== 'yes') {
      return askFirst(event, userId, 'endSessions', {}, (username) => ({
        question: `Sign ${username} out everywhere?`,
        consequence:
          'Every session of theirs ends at once, on every device; they can sign in again with their password.',
        button: 'Yes, sign out everywhere',
      }));
    }
    return applyChange(
      event,
      async () => {
        const username = await usernameOf(event, userId);
        const count = await getAuth().endUserSessions(admin, userId, requestInfo(event));
        return { username, count };
      },
      ({ username, count }) =>
        count === 0
          ? `${username} was not signed in anywhere.`
          : `${username} has been signed out of ${sessionCount(count)}.`,
    );
  },

  resetSecondFactor: async (event) => {
    const { user: admin } = requireAdmin(event);
    const fields = await readFormFields(event.request);
    const userId = fields.userId ?? '';
    if (!userId) return fail(400, { message: 'Choose a user.' });
    if (fields.confirm !== 'yes') {
      return askFirst(event, userId, 'resetSecondFactor', {}, (username) => ({
        question: `Reset two-step verification for ${username}?`,
        consequence:
          'Their authenticator app, recovery codes and passkeys stop working; their password alone signs them in until they set up a new one. They are signed out everywhere and told by email.',
        button: 'Yes, reset two-step verification',
      }));
    }
    return applyChange(
      event,
      async () => {
        const username = await usernameOf(event, userId);
        await getAuth().resetSecondFactor(admin, userId, requestInfo(event));
        return username;
      },
      (username) =>
        `${username}’s two-step verification and passkeys have been removed; they have been told by email.`,
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
    if (fields.confirm !== 'yes') {
      return askFirst(event, userId, 'setRole', { role }, (username) =>
        role === 'admin'
          ? {
              question: `Make ${username} an administrator?`,
              consequence:
                'They can see every account on this site and deactivate, sign out or change the role of other users, yours included.',
              button: 'Yes, make administrator',
            }
          : {
              question: `Remove administrator rights from ${username}?`,
              consequence:
                'They keep their account but can no longer open the admin page or change other users.',
              button: 'Yes, remove administrator',
            },
      );
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
