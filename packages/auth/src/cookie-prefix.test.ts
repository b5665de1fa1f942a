// The session cookie's __Host- prefix on https (ASVS 5.0 3.3.3): a same-site
// origin can then neither plant nor shadow it; plain http keeps the plain name.
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@authkit/db/testing';
import { createAuth } from './auth.ts';
import { createSignedInUser, createTestClock, testRequest } from './testing.ts';
import type { Auth } from './types.ts';

const database = useTestDatabase();
const clock = createTestClock();
let auth: Auth;

beforeAll(() => {
  auth = createAuth({ database: database.current, now: clock.now, protection: 'off' });
});

describe('the session cookie name', () => {
  it('names a Secure cookie __Host-<name> (Path=/, no Domain) and a plain one by its plain name', async () => {
    const { user } = await createSignedInUser(auth);
    const secureAuth = createAuth({ database: database.current, now: clock.now, secureCookies: true });
    const secureCookies = [
      (await auth.loginUser(user, {}, { ...testRequest, https: true })).cookie,
      (await auth.loginUser(user, { remember: true }, { ...testRequest, https: true })).cookie,
      (await secureAuth.loginUser(user, {}, testRequest)).cookie,
      auth.blankCookie({ ...testRequest, https: true }),
      secureAuth.blankCookie(),
      secureAuth.blankCookie(testRequest),
    ];
    for (const cookie of secureCookies) {
      expect(cookie.name).toBe('__Host-authkit_session');
      expect(cookie.attributes).toMatchObject({ secure: true, path: '/' });
      expect(cookie.serialize()).toMatch(/^__Host-authkit_session=[a-z2-7]*; /);
      expect(cookie.serialize()).toMatch(/; Path=\/(;|$)/);
      expect(cookie.serialize()).not.toMatch(/Domain=/i);
    }
    for (const cookie of [(await auth.loginUser(user, {}, testRequest)).cookie, auth.blankCookie(testRequest)]) {
      expect(cookie.name).toBe('authkit_session');
      expect(cookie.serialize()).not.toMatch(/Secure/);
    }
  });

  it('reads only the __Host- cookie when cookies are secure, and only the plain one when not', () => {
    const both = '__Host-authkit_session=hosted; authkit_session=planted';
    // On https (or with secure cookies configured), a plain-named cookie is ignored.
    expect(auth.tokenFromHeaders({ cookie: both }, { https: true })).toEqual({ token: 'hosted', via: 'cookie' });
    expect(auth.tokenFromHeaders({ cookie: 'authkit_session=planted' }, { https: true })).toEqual({
      token: null,
      via: null,
    });
    const secureAuth = createAuth({ database: database.current, now: clock.now, secureCookies: true });
    expect(secureAuth.tokenFromHeaders({ cookie: both })).toEqual({ token: 'hosted', via: 'cookie' });
    expect(secureAuth.tokenFromHeaders({ cookie: 'authkit_session=planted' })).toEqual({ token: null, via: null });
    // Over plain http a browser keeps no __Host- cookie: the plain name.
    expect(auth.tokenFromHeaders({ cookie: both })).toEqual({ token: 'planted', via: 'cookie' });
    expect(auth.tokenFromHeaders({ cookie: both }, { https: false })).toEqual({ token: 'planted', via: 'cookie' });
  });
});
