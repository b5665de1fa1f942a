// Every procedure over plain HTTP (fetch), as any client would call it.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSessionStale } from '@authkit/auth/testing';
import {
  cookiePair,
  mutate,
  query,
  send,
  sessionIdOf,
  signUp,
  strongPassword,
  uniqueName,
  useTestApi,
  WEB_ORIGIN,
  type CallHeaders,
} from './test-helpers/index.ts';

const api = useTestApi();

/** Calls auth.sessions.revoke as `actor` on the session that `target` signs in with. */
async function revokeSessionOf(target: CallHeaders, actor: CallHeaders) {
  const sessionId = await sessionIdOf(api, target);
  return mutate(api, 'auth.sessions.revoke', { sessionId }, actor);
}

const isoDate = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

describe('health', () => {
  it('GET /health answers 200 with the database up', async () => {
    const result = await send(`${api.url}/health`, {});
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ ok: true, db: 'up' });
  });

  it('the health procedure answers the same', async () => {
    const result = await query(api, 'health');
    expect(result.status).toBe(200);
    expect(result.body.result.data).toEqual({ ok: true, db: 'up' });
  });

  it('unknown routes and procedures are 404', async () => {
    expect((await send(`${api.url}/nope`, {})).status).toBe(404);
    expect((await query(api, 'auth.nope')).status).toBe(404);
  });
});

describe('auth.register', () => {
  it('creates a user and never returns the password hash', async () => {
    const username = uniqueName();
    const result = await mutate(api, 'auth.register', {
      username,
      email: `${username}@example.com`,
      password: strongPassword(),
    });
    expect(result.status).toBe(200);
    const user = result.body.result.data.user;
    expect(user).toEqual({
      id: expect.any(String),
      username,
      email: `${username}@example.com`,
      // Until the link mailed at registration is used.
      emailVerified: false,
      role: 'user',
      active: true,
      createdAt: isoDate,
      mfaEnabled: false,
      hasPassword: true,
    });
    expect(JSON.stringify(result.body)).not.toMatch(/hash|argon/i);
  });

  it('answers 400 with field messages for a taken username or a weak password', async () => {
    const someone = await signUp(api);
    const taken = await mutate(api, 'auth.register', {
      username: someone.username,
      email: `${uniqueName()}@example.com`,
      password: strongPassword(),
    });
    expect(taken.status).toBe(400);
    expect(taken.body.error.data.code).toBe('BAD_REQUEST');
    expect(taken.body.error.data.fieldErrors.username).toEqual([expect.any(String)]);

    const weak = await mutate(api, 'auth.register', {
      username: uniqueName(),
      email: `${uniqueName()}@example.com`,
      password: 'password',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error.data.fieldErrors.password?.length).toBeGreaterThan(0);
  });
});

describe('auth.login', () => {
  it('by default returns user and expiry, sets an HttpOnly session cookie, and never the token in the body', async () => {
    const username = uniqueName();
    const password = strongPassword();
    await mutate(api, 'auth.register', { username, email: `${username}@example.com`, password });
    const result = await mutate(api, 'auth.login', { username, password, remember: true });
    expect(result.status).toBe(200);
    const data = result.body.result.data;
    expect(data.user.username).toBe(username);
    expect(data.expiresAt).toEqual(isoDate);
    expect(Object.keys(data).sort()).toEqual(['expiresAt', 'failedSignInsSinceLastVisit', 'secondFactorRequired', 'user']);
    expect(data.secondFactorRequired).toBe(false);
    expect(data).not.toHaveProperty('token');
    const setCookies = result.headers.getSetCookie();
    // The session cookie, then the device cookie this sign-in earned.
    expect(setCookies).toHaveLength(2);
    expect(setCookies[1]).toMatch(
      /^authkit_device=[\w-]+\.\d+\.[\w-]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
    const setCookie = setCookies[0]!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Expires=/i); // remembered: a persistent cookie
    // The cookie's value, the session token, is nowhere in the body: script on
    // the web origin (credentialed CORS) must not be able to read it.
    const cookie = cookiePair(result.headers);
    const token = cookie.slice(cookie.indexOf('=') + 1);
    expect(token.length).toBeGreaterThan(0);
    expect(JSON.stringify(result.body)).not.toContain(token);
    expect((await query(api, 'auth.me', undefined, { cookie })).status).toBe(200);
  });

  it('with bearer: true returns user, token and expiry, and sets no cookie', async () => {
    const username = uniqueName();
    const password = strongPassword();
    await mutate(api, 'auth.register', { username, email: `${username}@example.com`, password });
    const result = await mutate(api, 'auth.login', { username, password, bearer: true });
    expect(result.status).toBe(200);
    const data = result.body.result.data;
    expect(data.user.username).toBe(username);
    expect(data.token).toEqual(expect.any(String));
    expect(data.token.length).toBeGreaterThan(0);
    expect(data.expiresAt).toEqual(isoDate);
    expect(Object.keys(data).sort()).toEqual([
      'deviceToken',
      'expiresAt',
      'failedSignInsSinceLastVisit',
      'secondFactorRequired',
      'token',
      'user',
    ]);
    expect(result.headers.getSetCookie()).toEqual([]);
    // The token signs in as `Authorization: Bearer`.
    const me = await query(api, 'auth.me', undefined, { authorization: `Bearer ${data.token}` });
    expect(me.status).toBe(200);
    expect(me.body.result.data.user.username).toBe(username);
    expect(me.body.result.data.session.expiresAt).toBe(data.expiresAt);
    expect(me.headers.getSetCookie()).toEqual([]);
  });

  it('bearer: false is the cookie login; bearer must be a boolean', async () => {
    const user = await signUp(api);
    const cookieLogin = await mutate(api, 'auth.login', {
      username: user.username,
      password: user.password,
      bearer: false,
    });
    expect(cookieLogin.status).toBe(200);
    expect(cookieLogin.body.result.data).not.toHaveProperty('token');
    // The session cookie and the device cookie.
    expect(cookieLogin.headers.getSetCookie()).toHaveLength(2);
    for (const bearer of ['true', 1, null, { $ne: false }]) {
      const refused = await mutate(api, 'auth.login', {
        username: user.username,
        password: user.password,
        bearer,
      });
      expect(refused.status, JSON.stringify(bearer)).toBe(400);
      expect(refused.body.error.data.fieldErrors.bearer).toEqual([expect.any(String)]);
      expect(refused.headers.getSetCookie()).toEqual([]);
    }
  });

  it('accepts the email address instead of the username', async () => {
    const user = await signUp(api);
    const result = await mutate(api, 'auth.login', {
      username: user.email,
      password: user.password,
    });
    expect(result.status).toBe(200);
  });

  it('answers 401 with one message for a wrong password and an unknown user', async () => {
    const user = await signUp(api);
    const wrong = await mutate(api, 'auth.login', {
      username: user.username,
      password: 'not-the-password',
    });
    const unknown = await mutate(api, 'auth.login', {
      username: uniqueName('ghost'),
      password: 'whatever-1234',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect(wrong.headers.getSetCookie()).toEqual([]);
  });

  it('answers 429 with Retry-After after repeated failures, even for the right password', async () => {
    const user = await signUp(api);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await mutate(api, 'auth.login', {
        username: user.username,
        password: 'wrong-password-1',
      });
      statuses.push(result.status);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);

    const locked = await mutate(api, 'auth.login', {
      username: user.username,
      password: user.password,
    });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body.error.data.code).toBe('TOO_MANY_REQUESTS');
    expect(locked.body.error.data.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe('protected procedures', () => {
  it('answer 401 to anonymous callers', async () => {
    for (const path of ['auth.me', 'auth.sessions.list', 'auth.events']) {
      expect((await query(api, path)).status, path).toBe(401);
    }
    for (const [path, input] of [
      ['auth.logout', undefined],
      ['auth.sessions.revoke', { sessionId: 'x' }],
      ['auth.sessions.revokeOthers', undefined],
      ['auth.reauthenticate', { password: 'whatever-123' }],
      ['auth.changePassword', { currentPassword: 'a', newPassword: 'b' }],
    ] as const) {
      const result = await mutate(api, path, input);
      expect(result.status, path).toBe(401);
      expect(result.body.error.data.code).toBe('UNAUTHORIZED');
    }
  });

  it('auth.me works with the bearer token and with the cookie', async () => {
    const user = await signUp(api, { via: 'both' });
    const viaBearer = await query(api, 'auth.me', undefined, user.bearer);
    const viaCookie = await query(api, 'auth.me', undefined, { cookie: user.cookie });
    for (const result of [viaBearer, viaCookie]) {
      expect(result.status).toBe(200);
      expect(result.body.result.data.user).toMatchObject({
        id: user.id,
        username: user.username,
        role: 'user',
      });
      expect(result.body.result.data.session).toMatchObject({
        id: expect.any(String),
        createdAt: isoDate,
        lastSeenAt: isoDate,
        expiresAt: isoDate,
        fresh: true,
      });
    }
  });

  it('a bad token is anonymous, and a bad cookie is cleared', async () => {
    const bearer = await query(api, 'auth.me', undefined, { authorization: 'Bearer nonsense' });
    expect(bearer.status).toBe(401);
    const cookieName = (await signUp(api, { via: 'cookie' })).cookie.split('=')[0];
    const stale = await query(api, 'auth.me', undefined, {
      cookie: `${cookieName}=${'a'.repeat(40)}`,
    });
    expect(stale.status).toBe(401);
    expect(stale.headers.getSetCookie()[0]).toMatch(new RegExp(`^${cookieName}=;`));
  });

  it('auth.sessions.list shows each session with the current one flagged', async () => {
    const user = await signUp(api, { userAgent: 'TestBrowser/1.0' });
    const second = await mutate(api, 'auth.login', {
      username: user.username,
      password: user.password,
    });
    expect(second.status).toBe(200);
    const result = await query(api, 'auth.sessions.list', undefined, user.bearer);
    expect(result.status).toBe(200);
    const sessions = result.body.result.data;
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const current = sessions.find((s: { current: boolean }) => s.current);
    expect(current).toMatchObject({
      id: expect.any(String),
      createdAt: isoDate,
      lastSeenAt: isoDate,
      userAgent: 'TestBrowser/1.0',
      ip: '127.0.0.1',
      current: true,
    });
    expect(JSON.stringify(sessions)).not.toContain(user.token);
  });

  it('auth.sessions.revoke ends one of the own sessions; others are 404', async () => {
    const user = await signUp(api);
    const other = await mutate(api, 'auth.login', {
      username: user.username,
      password: user.password,
      bearer: true,
    });
    const otherToken = other.body.result.data.token;

    const revoked = await revokeSessionOf({ authorization: `Bearer ${otherToken}` }, user.bearer);
    expect(revoked.status).toBe(200);
    expect(revoked.body.result.data).toEqual({ ok: true });
    expect(
      (await query(api, 'auth.me', undefined, { authorization: `Bearer ${otherToken}` })).status,
    ).toBe(401);
    expect((await query(api, 'auth.me', undefined, user.bearer)).status).toBe(200);

    const stranger = await signUp(api);
    const foreign = await revokeSessionOf(stranger.bearer, user.bearer);
    expect(foreign.status).toBe(404);
    expect((await query(api, 'auth.me', undefined, stranger.bearer)).status).toBe(200);
  });

  it('revoking the current session over the cookie clears the cookie', async () => {
    const user = await signUp(api, { via: 'cookie' });
    const result = await revokeSessionOf(user.browser, user.browser);
    expect(result.status).toBe(200);
    expect(result.headers.getSetCookie()[0]).toMatch(/^[^=]+=;/);
    expect((await query(api, 'auth.me', undefined, user.browser)).status).toBe(401);
  });

  it('auth.sessions.revokeOthers ends every other session', async () => {
    const user = await signUp(api);
    const others = [];
    for (let i = 0; i < 2; i++) {
      const login = await mutate(api, 'auth.login', {
        username: user.username,
        password: user.password,
        bearer: true,
      });
      others.push(login.body.result.data.token as string);
    }
    const result = await mutate(api, 'auth.sessions.revokeOthers', undefined, user.bearer);
    expect(result.status).toBe(200);
    expect(result.body.result.data).toEqual({ revoked: 2 });
    for (const token of others) {
      expect(
        (await query(api, 'auth.me', undefined, { authorization: `Bearer ${token}` })).status,
      ).toBe(401);
    }
    expect((await query(api, 'auth.me', undefined, user.bearer)).status).toBe(200);
  });

  it('auth.events lists the own recent activity', async () => {
    const user = await signUp(api);
    const result = await query(api, 'auth.events', { limit: 10 }, user.bearer);
    expect(result.status).toBe(200);
    const events = result.body.result.data as { type: string; at: string }[];
    expect(events.map((event) => event.type)).toContain('login');
    expect(events[0]).toMatchObject({ at: isoDate });
    expect((await query(api, 'auth.events', undefined, user.bearer)).status).toBe(200);
  });

  it('auth.logout ends the session and clears the cookie', async () => {
    const user = await signUp(api, { via: 'cookie' });
    expect(await api.database.sessions.countDocuments({ user_id: user.id })).toBe(1);
    const result = await mutate(api, 'auth.logout', undefined, user.browser);
    expect(result.status).toBe(200);
    expect(result.body.result.data).toEqual({ ok: true });
    expect(result.headers.getSetCookie()[0]).toMatch(/^[^=]+=;/);
    expect((await query(api, 'auth.me', undefined, user.browser)).status).toBe(401);
    // Ended on the server, not only forgotten by the browser.
    expect(await api.database.sessions.countDocuments({ user_id: user.id })).toBe(0);
  });

  it('auth.logout over bearer ends the session without a cookie', async () => {
    const user = await signUp(api);
    const result = await mutate(api, 'auth.logout', undefined, user.bearer);
    expect(result.status).toBe(200);
    expect(result.headers.getSetCookie()).toEqual([]);
    expect((await query(api, 'auth.me', undefined, user.bearer)).status).toBe(401);
  });
});

describe('fresh procedures', () => {
  it('a fresh procedure answers 403 needs_refresh on a stale session, then works after auth.reauthenticate', async () => {
    const user = await signUp(api);
    const me = await query(api, 'auth.me', undefined, user.bearer);
    await makeSessionStale(api.auth, me.body.result.data.session.id);
    expect(
      (await query(api, 'auth.me', undefined, user.bearer)).body.result.data.session.fresh,
    ).toBe(false);

    const refused = await mutate(api, 'auth.totp.beginEnrolment', undefined, user.bearer);
    expect(refused.status).toBe(403);
    expect(refused.body.error.data).toMatchObject({ code: 'FORBIDDEN', reason: 'needs_refresh' });
    const events = await query(api, 'auth.events', { limit: 5 }, user.bearer);
    expect(events.body.result.data[0]).toMatchObject({
      type: 'needs_refresh',
      details: { action: 'auth.totp.beginEnrolment' },
    });

    // A wrong password here is a form field error.
    const wrong = await mutate(
      api,
      'auth.reauthenticate',
      { password: 'not-it-at-all' },
      user.bearer,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.data.fieldErrors.password).toEqual([expect.any(String)]);
    const confirmed = await mutate(
      api,
      'auth.reauthenticate',
      { password: user.password },
      user.bearer,
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.result.data.session).toMatchObject({
      fresh: true,
      authenticatedAt: isoDate,
    });
    // A new token comes with the re-authentication (ASVS 7.2.4); the old one is void.
    const renewed = { authorization: `Bearer ${confirmed.body.result.data.token}` };
    expect((await query(api, 'auth.me', undefined, user.bearer)).status).toBe(401);
    expect((await mutate(api, 'auth.totp.beginEnrolment', undefined, renewed)).status).toBe(200);
  });

  it('auth.changePassword on a stale session: the current password is the confirmation', async () => {
    const user = await signUp(api);
    const other = await mutate(api, 'auth.login', {
      username: user.username,
      password: user.password,
      bearer: true,
    });
    const me = await query(api, 'auth.me', undefined, user.bearer);
    await makeSessionStale(api.auth, me.body.result.data.session.id);

    const newPassword = strongPassword();
    const wrong = await mutate(
      api,
      'auth.changePassword',
      { currentPassword: 'not-it-at-all', newPassword },
      user.bearer,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.data.fieldErrors.currentPassword).toEqual([expect.any(String)]);

    const input = { currentPassword: user.password, newPassword };
    const changed = await mutate(api, 'auth.changePassword', input, user.bearer);
    expect(changed.status).toBe(200);
    expect(changed.body.result.data).toMatchObject({ ok: true, token: expect.any(String) });
    // The password was just typed: this session is fresh again, under a new token.
    const renewed = { authorization: `Bearer ${changed.body.result.data.token}` };
    expect((await query(api, 'auth.me', undefined, user.bearer)).status).toBe(401);
    expect((await query(api, 'auth.me', undefined, renewed)).body.result.data.session.fresh).toBe(
      true,
    );

    // The other session ended, this one stays; only the new password signs in.
    const otherToken = other.body.result.data.token;
    expect(
      (await query(api, 'auth.me', undefined, { authorization: `Bearer ${otherToken}` })).status,
    ).toBe(401);
    expect((await query(api, 'auth.me', undefined, renewed)).status).toBe(200);
    expect(
      (await mutate(api, 'auth.login', { username: user.username, password: user.password }))
        .status,
    ).toBe(401);
    expect(
      (await mutate(api, 'auth.login', { username: user.username, password: newPassword })).status,
    ).toBe(200);
  });

  it('auth.changePassword refuses a wrong current password with a field message', async () => {
    const user = await signUp(api);
    const result = await mutate(
      api,
      'auth.changePassword',
      { currentPassword: 'definitely-wrong', newPassword: strongPassword() },
      user.bearer,
    );
    expect(result.status).toBe(400);
    expect(result.body.error.data.fieldErrors.currentPassword).toEqual([expect.any(String)]);
  });
});

describe('admin procedures', () => {
  let admin: Awaited<ReturnType<typeof signUp>>;
  let member: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    admin = await signUp(api, { role: 'admin' });
    member = await signUp(api);
  });

  it('answer 401 to anonymous callers and 403 to non-admins', async () => {
    expect((await query(api, 'admin.users.list')).status).toBe(401);
    const calls = [
      await query(api, 'admin.users.list', undefined, member.bearer),
      await mutate(
        api,
        'admin.users.setActive',
        { userId: admin.id, active: false },
        member.bearer,
      ),
      await mutate(api, 'admin.users.setRole', { userId: member.id, role: 'admin' }, member.bearer),
    ];
    for (const result of calls) {
      expect(result.status).toBe(403);
      expect(result.body.error.data).toMatchObject({ code: 'FORBIDDEN', reason: 'forbidden' });
    }
  });

  it('admin.users.list pages through users without password hashes', async () => {
    const first = await query(api, 'admin.users.list', { page: 1, pageSize: 2 }, admin.bearer);
    expect(first.status).toBe(200);
    const data = first.body.result.data;
    expect(data).toMatchObject({ page: 1, pageSize: 2, total: expect.any(Number) });
    expect(data.total).toBeGreaterThanOrEqual(2);
    expect(data.users).toHaveLength(2);
    expect(Object.keys(data.users[0]).sort()).toEqual([
      'active',
      'createdAt',
      'email',
      'emailVerified',
      'hasPassword',
      'id',
      'mfaEnabled',
      'role',
      'secondFactors',
      'signInMethods',
      'username',
    ]);
    expect(data.users[0].secondFactors).toEqual({ totp: false, passkeys: 0 });
    // Whether there is a password, never the hash.
    expect(data.users[0].signInMethods).toEqual({ password: true, passkeys: 0, totp: false, providers: [] });
    expect(JSON.stringify(data)).not.toMatch(/argon2|password_?hash/i);
    const second = await query(api, 'admin.users.list', { page: 2, pageSize: 2 }, admin.bearer);
    expect(second.body.result.data.users[0].id).not.toBe(data.users[0].id);
    const defaults = await query(api, 'admin.users.list', undefined, admin.bearer);
    expect(defaults.body.result.data).toMatchObject({ page: 1, pageSize: 20 });
  });

  it('admin.users.setActive deactivates (ending sessions) and reactivates', async () => {
    const target = await signUp(api);
    const off = await mutate(
      api,
      'admin.users.setActive',
      { userId: target.id, active: false },
      admin.bearer,
    );
    expect(off.status).toBe(200);
    expect(off.body.result.data.user).toMatchObject({ id: target.id, active: false });
    expect((await query(api, 'auth.me', undefined, target.bearer)).status).toBe(401);
    const refused = await mutate(api, 'auth.login', {
      username: target.username,
      password: target.password,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.data.reason).toBe('inactive');

    const on = await mutate(
      api,
      'admin.users.setActive',
      { userId: target.id, active: true },
      admin.bearer,
    );
    expect(on.body.result.data.user.active).toBe(true);
    expect(
      (await mutate(api, 'auth.login', { username: target.username, password: target.password }))
        .status,
    ).toBe(200);
  });

  it('admin.users.setRole changes the role; unknown users are 404', async () => {
    const target = await signUp(api);
    const result = await mutate(
      api,
      'admin.users.setRole',
      { userId: target.id, role: 'admin' },
      admin.bearer,
    );
    expect(result.status).toBe(200);
    expect(result.body.result.data.user).toMatchObject({ id: target.id, role: 'admin' });
    expect((await query(api, 'admin.users.list', undefined, target.bearer)).status).toBe(200);

    const missing = await mutate(
      api,
      'admin.users.setRole',
      { userId: 'no-such-user', role: 'user' },
      admin.bearer,
    );
    expect(missing.status).toBe(404);

    // The promoted user steps down again: allowed while another admin remains.
    const down = await mutate(api, 'admin.users.setRole', { userId: target.id, role: 'user' }, target.bearer);
    expect(down.status).toBe(200);
  });

  it('refuses with 409 a change that would leave no active admin', async () => {
    const admins = await query(api, 'admin.users.list', { page: 1, pageSize: 100 }, admin.bearer);
    const others = (admins.body.result.data.users as { id: string; role: string; active: boolean }[]).filter(
      (user) => user.role === 'admin' && user.active && user.id !== admin.id,
    );
    for (const other of others) {
      await mutate(api, 'admin.users.setRole', { userId: other.id, role: 'user' }, admin.bearer);
    }
    const last = await mutate(api, 'admin.users.setRole', { userId: admin.id, role: 'user' }, admin.bearer);
    expect(last.status).toBe(409);
    expect(last.body.error.message).toMatch(/last active administrator/);
    const off = await mutate(api, 'admin.users.setActive', { userId: admin.id, active: false }, admin.bearer);
    expect(off.status).toBe(409);
    expect((await query(api, 'admin.users.list', undefined, admin.bearer)).status).toBe(200);
  });
});

describe('CSRF and CORS', () => {
  it('refuses a cookie-authenticated mutation from another origin', async () => {
    const user = await signUp(api, { via: 'cookie' });
    const foreign = await mutate(api, 'auth.logout', undefined, {
      cookie: user.cookie,
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.data).toMatchObject({ code: 'FORBIDDEN', reason: 'csrf' });

    const crossSite = await mutate(api, 'auth.logout', undefined, {
      cookie: user.cookie,
      'sec-fetch-site': 'cross-site',
    });
    expect(crossSite.status).toBe(403);

    const nullOrigin = await mutate(api, 'auth.logout', undefined, {
      cookie: user.cookie,
      origin: 'null',
    });
    expect(nullOrigin.status).toBe(403);

    // Nothing happened: the session is still there.
    expect((await query(api, 'auth.me', undefined, { cookie: user.cookie })).status).toBe(200);
  });

  it('refuses cookie mutations that are not JSON (HTML forms)', async () => {
    const user = await signUp(api, { via: 'cookie' });
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const result = await send(`${api.url}/trpc/auth.sessions.revokeOthers`, {
        method: 'POST',
        headers: { cookie: user.cookie, origin: WEB_ORIGIN, 'content-type': contentType },
        body: contentType.startsWith('multipart') ? '--x--\r\n' : '{}',
      });
      expect(result.status, contentType).toBe(415);
    }
    expect((await query(api, 'auth.me', undefined, { cookie: user.cookie })).status).toBe(200);
  });

  it('accepts cookie mutations from the web origin, the API itself, or without an Origin (non-browser)', async () => {
    const user = await signUp(api, { via: 'cookie' });
    const apiOrigin = new URL(api.url).origin;
    const variants: CallHeaders[] = [
      { cookie: user.cookie, origin: WEB_ORIGIN },
      { cookie: user.cookie, origin: apiOrigin },
      { cookie: user.cookie, 'sec-fetch-site': 'same-site' },
      { cookie: user.cookie },
    ];
    for (const headers of variants) {
      const result = await mutate(api, 'auth.sessions.revokeOthers', undefined, headers);
      expect(result.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('exempts bearer-authenticated mutations', async () => {
    const user = await signUp(api);
    const result = await mutate(api, 'auth.sessions.revokeOthers', undefined, {
      ...user.bearer,
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    });
    expect(result.status).toBe(200);
  });

  it('grants CORS with credentials to the web origin only', async () => {
    const preflight = await send(`${api.url}/trpc/auth.login`, {
      method: 'OPTIONS',
      headers: { origin: WEB_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');

    const foreign = await send(`${api.url}/trpc/auth.login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const simple = await query(api, 'health', undefined, { origin: WEB_ORIGIN });
    expect(simple.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    const other = await query(api, 'health', undefined, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('HTTP details', () => {
  it('answers 413 to a body over the limit', async () => {
    const result = await send(`${api.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'x'.repeat(3 * 1024 * 1024), password: 'y' }),
    });
    expect(result.status).toBe(413);
  });

  it('answers 405 to a mutation sent as GET', async () => {
    const result = await query(api, 'auth.logout');
    expect(result.status).toBe(405);
  });

  it('sends no-store and a request id', async () => {
    const result = await query(api, 'health');
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(result.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
  });

  it('serves batched calls', async () => {
    const user = await signUp(api);
    const result = await send(
      `${api.url}/trpc/health,auth.me?batch=1&input=${encodeURIComponent('{}')}`,
      {
        headers: user.bearer,
      },
    );
    expect(result.status).toBe(200);
    expect(result.body).toHaveLength(2);
    expect(result.body[1].result.data.user.id).toBe(user.id);
  });

  it('a login over the cookie path is usable as the cookie', async () => {
    const user = await signUp(api);
    const login = await mutate(api, 'auth.login', {
      username: user.username,
      password: user.password,
    });
    const cookie = cookiePair(login.headers);
    expect((await query(api, 'auth.me', undefined, { cookie })).status).toBe(200);
  });
});
