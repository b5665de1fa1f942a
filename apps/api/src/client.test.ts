// Every procedure through the typed tRPC client, as apps/web and other
// TypeScript clients call it: httpLink with a cookie jar (browser-like) and
// httpBatchLink with a bearer token.
import { makeSessionStale } from '@authkit/auth/testing';
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from './router.ts';
import { signUp, strongPassword, uniqueName, useTestApi, WEB_ORIGIN } from './test-helpers/index.ts';

const api = useTestApi();

/** A client that keeps the session cookie between calls, and sends the site's Origin, as a browser would. */
function browserClient() {
  let cookie = '';
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${api.url}/trpc`,
        async fetch(input, init) {
          const headers = new Headers(init?.headers);
          headers.set('origin', WEB_ORIGIN);
          if (cookie) headers.set('cookie', cookie);
          const response = await fetch(input, { ...init, headers });
          const setCookie = response.headers.getSetCookie()[0];
          if (setCookie) {
            const pair = setCookie.split(';', 1)[0]!;
            cookie = pair.endsWith('=') ? '' : pair;
          }
          return response;
        },
      }),
    ],
  });
  return { client, cookie: () => cookie };
}

function bearerClient(token: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${api.url}/trpc`,
        headers: () => ({ authorization: `Bearer ${token}` }),
      }),
    ],
  });
}

const anonymous = () =>
  createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${api.url}/trpc` })] });

/** The error a call failed with, for assertions on its data. */
async function failure(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) return error as TRPCClientError<AppRouter>;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('typed client, cookie session', () => {
  it('covers the signed-in user journey', async () => {
    const { client, cookie } = browserClient();
    const username = uniqueName();
    const password = strongPassword();

    const registered = await client.auth.register.mutate({
      username,
      email: `${username}@example.com`,
      password,
    });
    // Without REQUIRE_VERIFIED_EMAIL, the new account is named in the answer.
    expect(registered.verificationRequired).toBe(false);
    expect(registered.user?.username).toBe(username);

    const login = await client.auth.login.mutate({ username, password });
    expect(new Date(login.expiresAt).getTime()).toBeGreaterThan(Date.now());
    // The session is the HttpOnly cookie only: its token is not in the result.
    expect(cookie()).not.toBe('');
    expect(login).not.toHaveProperty('token');
    expect(JSON.stringify(login)).not.toContain(cookie().slice(cookie().indexOf('=') + 1));

    const me = await client.auth.me.query();
    expect(me.user.id).toBe(registered.user?.id);
    expect(me.session.fresh).toBe(true);

    const sessions = await client.auth.sessions.list.query();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.current).toBe(true);

    const events = await client.auth.events.query({ limit: 5 });
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['register', 'login']),
    );

    // Stale session: a fresh procedure refuses with a reason the site can act on.
    await makeSessionStale(api.auth, me.session.id);
    const newPassword = strongPassword();
    const stale = await failure(client.auth.totp.beginEnrolment.mutate());
    expect(stale.data?.httpStatus).toBe(403);
    expect(stale.data?.reason).toBe('needs_refresh');

    const refreshed = await client.auth.reauthenticate.mutate({ password });
    expect(refreshed.session.fresh).toBe(true);
    await expect(client.auth.totp.beginEnrolment.mutate()).resolves.toMatchObject({
      secret: expect.any(String),
    });
    // The session goes on under a new token (the cookie is replaced).
    await expect(
      client.auth.changePassword.mutate({ currentPassword: password, newPassword }),
    ).resolves.toMatchObject({
      ok: true,
      session: { fresh: true },
    });

    await expect(client.auth.sessions.revokeOthers.mutate()).resolves.toEqual({ revoked: 0 });
    await expect(client.auth.logout.mutate()).resolves.toEqual({ ok: true });
    expect(cookie()).toBe('');
    const after = await failure(client.auth.me.query());
    expect(after.data?.code).toBe('UNAUTHORIZED');
    expect(after.data?.httpStatus).toBe(401);
  });

  it('revokes a single session', async () => {
    const user = await signUp(api);
    const { client } = browserClient();
    await client.auth.login.mutate({ username: user.username, password: user.password });
    const sessions = await client.auth.sessions.list.query();
    const other = sessions.find((session) => !session.current);
    expect(other).toBeDefined();
    await expect(client.auth.sessions.revoke.mutate({ sessionId: other!.id })).resolves.toEqual({
      ok: true,
    });
    expect(await client.auth.sessions.list.query()).toHaveLength(1);
  });
});

describe('typed client, bearer token', () => {
  it('health and batching', async () => {
    const client = anonymous();
    const [health, other] = await Promise.all([client.health.query(), client.health.query()]);
    expect(health).toEqual({ ok: true, db: 'up' });
    expect(other.db).toBe('up');
  });

  it('signs in with bearer: true and uses the token it returns', async () => {
    const user = await signUp(api);
    const login = await anonymous().auth.login.mutate({
      username: user.username,
      password: user.password,
      bearer: true,
    });
    if (login.secondFactorRequired || !('token' in login)) throw new Error('a bearer login returns the token');
    expect(login.token).toEqual(expect.any(String));
    const me = await bearerClient(login.token).auth.me.query();
    expect(me.user.id).toBe(user.id);
    expect(me.session.expiresAt).toBe(login.expiresAt);
  });

  it('anonymous calls are 401 with the UNAUTHORIZED code', async () => {
    const error = await failure(anonymous().auth.me.query());
    expect(error.data?.code).toBe('UNAUTHORIZED');
  });

  it('validation errors carry field messages', async () => {
    const error = await failure(
      anonymous().auth.register.mutate({
        username: uniqueName(),
        email: 'not-an-email',
        password: 'short',
      }),
    );
    expect(error.data?.httpStatus).toBe(400);
    expect(Object.keys(error.data?.fieldErrors ?? {})).toEqual(
      expect.arrayContaining(['email', 'password']),
    );
  });

  it('admin procedures: 403 for members, work for admins', async () => {
    const admin = await signUp(api, { role: 'admin' });
    const member = await signUp(api);
    const memberClient = bearerClient(member.token);
    const refused = await failure(memberClient.admin.users.list.query());
    expect(refused.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403, reason: 'forbidden' });

    const adminClient = bearerClient(admin.token);
    const page = await adminClient.admin.users.list.query({ page: 1, pageSize: 50 });
    expect(page.users.map((user) => user.id)).toEqual(
      expect.arrayContaining([admin.id, member.id]),
    );

    const promoted = await adminClient.admin.users.setRole.mutate({
      userId: member.id,
      role: 'admin',
    });
    expect(promoted.user.role).toBe('admin');
    await expect(memberClient.admin.users.list.query()).resolves.toMatchObject({ page: 1 });

    const deactivated = await adminClient.admin.users.setActive.mutate({
      userId: member.id,
      active: false,
    });
    expect(deactivated.user.active).toBe(false);
    const ended = await failure(memberClient.auth.me.query());
    expect(ended.data?.httpStatus).toBe(401);
    await adminClient.admin.users.setActive.mutate({ userId: member.id, active: true });
  });

  it('signed-in procedures over bearer', async () => {
    const user = await signUp(api);
    const client = bearerClient(user.token);
    const [me, sessions, events] = await Promise.all([
      client.auth.me.query(),
      client.auth.sessions.list.query(),
      client.auth.events.query(),
    ]);
    expect(me.user.id).toBe(user.id);
    expect(sessions.some((session) => session.current)).toBe(true);
    expect(events.length).toBeGreaterThan(0);
    const renewed = await client.auth.reauthenticate.mutate({ password: user.password });
    expect(renewed.session.fresh).toBe(true);
    // A re-authentication issues a new token (ASVS 7.2.4); the old one is void.
    if (!('token' in renewed)) throw new Error('a bearer client gets its new token');
    expect((await failure(client.auth.me.query())).data?.httpStatus).toBe(401);
    const renewedClient = bearerClient(renewed.token);
    const changed = await renewedClient.auth.changePassword.mutate({
      currentPassword: user.password,
      newPassword: strongPassword(),
    });
    if (!('token' in changed)) throw new Error('a bearer client gets its new token');
    const afterChange = bearerClient(changed.token);
    await expect(afterChange.auth.logout.mutate()).resolves.toEqual({ ok: true });
    expect((await failure(afterChange.auth.me.query())).data?.httpStatus).toBe(401);
  });
});
