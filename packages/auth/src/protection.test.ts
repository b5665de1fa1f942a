// Session protection (basic, strong), fresh logins and re-authentication,
// password change, and the user's own session list and revocation.
import { afterAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@authkit/db/testing';
import { createAuth } from './auth.ts';
import { authErrorOf, cacheModes } from './test-harness.ts';
import { createSignedInUser, createTestClock, makeSessionStale, testRequest } from './testing.ts';
import type { RequestInfo } from './types.ts';

const MINUTE = 60_000;

const database = useTestDatabase();
const clock = createTestClock();

const otherBrowser: RequestInfo = { ip: testRequest.ip, userAgent: 'curl/8.0 (stolen cookie)' };

describe.each(cacheModes)('$mode', ({ sessionCacheMs }) => {
  const auth = createAuth({ database: database.current, now: clock.now, protection: 'basic', sessionCacheMs });
  afterAll(() => auth.close());

  describe('session protection', () => {
    it('basic: a different client keeps the session but loses freshness', async () => {
      const { token, session } = await createSignedInUser(auth);
      expect(auth.isFresh(session)).toBe(true);

      const same = await auth.loadUser(token, testRequest);
      expect(same.session?.fresh).toBe(true);

      const other = await auth.loadUser(token, otherBrowser);
      expect(other.user.isAuthenticated).toBe(true);
      expect(other.session?.fresh).toBe(false);
      expect(auth.isFresh(other.session!)).toBe(false);
      // Stored: the original client is not fresh any more either.
      const again = await auth.loadUser(token, testRequest);
      expect(again.session?.fresh).toBe(false);
      expect((await database.current.sessions.findOne({ _id: session.id }))?.fresh).toBe(false);
    });

    it('strong: a different client ends the session', async () => {
      const strong = createAuth({ database: database.current, now: clock.now, sessionCacheMs, protection: 'strong' });
      const { token, session, user } = await createSignedInUser(strong);
      expect((await strong.loadUser(token, testRequest)).user.isAuthenticated).toBe(true);
      const other = await strong.loadUser(token, otherBrowser);
      expect(other.user.isAuthenticated).toBe(false);
      expect(other.cookie?.attributes.maxAge).toBe(0);
      expect(await database.current.sessions.findOne({ _id: session.id })).toBeNull();
      // Gone for the original client too.
      expect((await strong.loadUser(token, testRequest)).user.isAuthenticated).toBe(false);
      const events = await strong.listEvents(user.id);
      expect(events[0]).toMatchObject({ type: 'session_revoked', details: { reason: 'session_protection' } });
    });

    it('strong with the address: the same network is the same client, another network is not', async () => {
      const strong = createAuth({
        database: database.current,
        now: clock.now,
        sessionCacheMs,
        protection: 'strong',
        protectionIncludesAddress: true,
      });
      const home: RequestInfo = { ip: '198.51.100.10', userAgent: 'Firefox' };
      const { token } = await createSignedInUser(strong, { request: home });
      expect((await strong.loadUser(token, { ...home, ip: '198.51.100.200' })).user.isAuthenticated).toBe(true);
      expect((await strong.loadUser(token, { ...home, ip: '203.0.113.10' })).user.isAuthenticated).toBe(false);

      const v6: RequestInfo = { ip: '2001:db8:aaaa:1::1', userAgent: 'Firefox' };
      const second = await createSignedInUser(strong, { request: v6 });
      expect((await strong.loadUser(second.token, { ...v6, ip: '2001:db8:aaaa:ffff::9' })).user.isAuthenticated).toBe(true);
      expect((await strong.loadUser(second.token, { ...v6, ip: '2001:db8:bbbb::1' })).user.isAuthenticated).toBe(false);
    });

    it('off: the client may change freely', async () => {
      const off = createAuth({ database: database.current, now: clock.now, sessionCacheMs, protection: 'off' });
      const { token } = await createSignedInUser(off);
      const other = await off.loadUser(token, otherBrowser);
      expect(other.user.isAuthenticated).toBe(true);
      expect(other.session?.fresh).toBe(true);
    });
  });

  describe('fresh logins', () => {
    it('a session stops being fresh after the fresh window, and re-authentication renews it', async () => {
      const { token, password, session } = await createSignedInUser(auth);
      expect(auth.isFresh(session)).toBe(true);
      clock.advance(9 * MINUTE);
      expect(auth.isFresh((await auth.loadUser(token, testRequest)).session!)).toBe(true);
      clock.advance(2 * MINUTE);
      const stale = (await auth.loadUser(token, testRequest)).session!;
      expect(stale.fresh).toBe(true); // the stored flag...
      expect(auth.isFresh(stale)).toBe(false); // ...but the password was typed too long ago

      const wrong = await authErrorOf(auth.confirmLogin(stale, 'not my password', testRequest));
      expect(wrong.code).toBe('VALIDATION');
      expect(wrong.fieldErrors).toEqual({ password: ['Incorrect password.'] });

      const renewed = await auth.confirmLogin(stale, password, testRequest);
      expect(auth.isFresh(renewed.session)).toBe(true);
      expect(renewed.session.authenticatedAt).toEqual(clock.now());
      // A new token (ASVS 7.2.4): the one from before the re-authentication signs nobody in.
      expect(renewed.token).not.toBe(token);
      expect((await auth.loadUser(token, testRequest)).user.isAuthenticated).toBe(false);
      expect(auth.isFresh((await auth.loadUser(renewed.token, testRequest)).session!)).toBe(true);
    });

    it('re-authentication from a new client makes that client the recognised one (basic protection)', async () => {
      const { token, password } = await createSignedInUser(auth);
      const moved = (await auth.loadUser(token, otherBrowser)).session!;
      expect(auth.isFresh(moved)).toBe(false);
      const renewed = await auth.confirmLogin(moved, password, otherBrowser);
      expect(auth.isFresh((await auth.loadUser(renewed.token, otherBrowser)).session!)).toBe(true);
    });

    it('the fresh window is configurable, and makeSessionStale ages a session for tests', async () => {
      const quick = createAuth({ database: database.current, now: clock.now, sessionCacheMs, freshWindowMs: MINUTE });
      const { token, session } = await createSignedInUser(quick);
      clock.advance(MINUTE + 1);
      expect(quick.isFresh((await quick.loadUser(token, testRequest)).session!)).toBe(false);

      const other = await createSignedInUser(auth);
      await makeSessionStale(auth, other.session.id);
      expect(auth.isFresh((await auth.loadUser(other.token, testRequest)).session!)).toBe(false);
      expect(session.id).not.toBe(other.session.id);
    });

    it('confirmLogin refuses an ended session', async () => {
      const { token, password, session } = await createSignedInUser(auth);
      await auth.logoutUser(token, testRequest);
      expect((await authErrorOf(auth.confirmLogin(session, password, testRequest))).code).toBe('UNAUTHORIZED');
    });
  });

  describe('changePassword', () => {
    it('takes the current password as the confirmation: a stale session changes it and is fresh again', async () => {
      const { session, password, token } = await createSignedInUser(auth);
      await makeSessionStale(auth, session.id);
      const stale = (await auth.loadUser(token, testRequest)).session!;
      expect(auth.isFresh(stale)).toBe(false);
      const wrong = await authErrorOf(
        auth.changePassword(stale, { currentPassword: 'not my password', newPassword: 'granite-willow-ferry-88' }, testRequest),
      );
      expect(wrong.fieldErrors).toEqual({ currentPassword: ['Incorrect password.'] });
      expect(auth.isFresh((await auth.loadUser(token, testRequest)).session!)).toBe(false);

      const changed = await auth.changePassword(stale, { currentPassword: password, newPassword: 'granite-willow-ferry-88' }, testRequest);
      expect(auth.isFresh((await auth.loadUser(changed.token, testRequest)).session!)).toBe(true);
    });

    it('checks the current password and the new one', async () => {
      const { session, password } = await createSignedInUser(auth);
      const wrong = await authErrorOf(
        auth.changePassword(session, { currentPassword: 'nope-nope-nope', newPassword: 'granite-willow-ferry-88' }, testRequest),
      );
      expect(wrong.fieldErrors).toEqual({ currentPassword: ['Incorrect password.'] });
      const weak = await authErrorOf(auth.changePassword(session, { currentPassword: password, newPassword: 'password1' }, testRequest));
      expect(weak.fieldErrors.newPassword?.[0]).toMatch(/too easy to guess/);
      const same = await authErrorOf(auth.changePassword(session, { currentPassword: password, newPassword: password }, testRequest));
      expect(same.fieldErrors.newPassword).toEqual(['Choose a password different from the current one.']);
    });

    it('a sign-in whose password check came before the change gets no session', async () => {
      const me = await createSignedInUser(auth);
      // The old password was checked (authenticate) just before another device changed it...
      const checked = await auth.authenticate(me.user.username, me.password, testRequest);
      await auth.changePassword(me.session, { currentPassword: me.password, newPassword: 'granite-willow-ferry-88' }, testRequest);
      // ...so the session it goes on to create must not outlive the change.
      const error = await authErrorOf(auth.loginUser(checked, {}, testRequest));
      expect(error.code).toBe('INVALID_CREDENTIALS');
      expect(await database.current.sessions.countDocuments({ user_id: me.user.id })).toBe(1);
      // Without a change in between, the same path signs in.
      const again = await auth.authenticate(me.user.username, 'granite-willow-ferry-88', testRequest);
      await expect(auth.loginUser(again, {}, testRequest)).resolves.toHaveProperty('token');
    });

    it('ends every other session of the user and keeps the current one', async () => {
      const me = await createSignedInUser(auth, { remember: true });
      const laptop = await auth.loginUser(me.user, { remember: true }, testRequest);
      const phone = await auth.loginUser(me.user, {}, testRequest);
      const someoneElse = await createSignedInUser(auth);

      const kept = await auth.changePassword(me.session, { currentPassword: me.password, newPassword: 'granite-willow-ferry-88' }, testRequest);

      // The current session is kept under a new token; the old token is void too.
      expect((await auth.loadUser(kept.token, testRequest)).user.isAuthenticated).toBe(true);
      expect((await auth.loadUser(me.token, testRequest)).user.isAuthenticated).toBe(false);
      expect((await auth.loadUser(laptop.token, testRequest)).user.isAuthenticated).toBe(false);
      expect((await auth.loadUser(phone.token, testRequest)).user.isAuthenticated).toBe(false);
      expect((await auth.loadUser(someoneElse.token, testRequest)).user.isAuthenticated).toBe(true);

      expect((await authErrorOf(auth.authenticate(me.user.username, me.password, testRequest))).code).toBe(
        'INVALID_CREDENTIALS',
      );
      expect((await auth.authenticate(me.user.username, 'granite-willow-ferry-88', testRequest)).id).toBe(me.user.id);
      expect((await auth.listEvents(me.user.id))[1]).toMatchObject({
        type: 'password_changed',
        details: { sessionsEnded: 2 },
      });
    });
  });

  describe('the user’s own sessions', () => {
    it('lists them with the current one marked, newest activity first', async () => {
      const me = await createSignedInUser(auth);
      clock.advance(MINUTE);
      const other = await auth.loginUser(me.user, { remember: true }, { ip: '192.0.2.1', userAgent: 'Phone' });
      const list = await auth.listSessions(me.session);
      expect(list.map((item) => [item.id, item.current])).toEqual([
        [other.session.id, false],
        [me.session.id, true],
      ]);
      expect(list[0]).toMatchObject({ userAgent: 'Phone', ip: '192.0.2.1', remember: true });
    });

    it('revokes one of them, but never another user’s', async () => {
      const me = await createSignedInUser(auth);
      const other = await auth.loginUser(me.user, {}, testRequest);
      const stranger = await createSignedInUser(auth);

      const error = await authErrorOf(auth.revokeSession(me.session, stranger.session.id, testRequest));
      expect(error.code).toBe('NOT_FOUND');
      expect((await auth.loadUser(stranger.token, testRequest)).user.isAuthenticated).toBe(true);

      await auth.revokeSession(me.session, other.session.id, testRequest);
      expect((await auth.loadUser(other.token, testRequest)).user.isAuthenticated).toBe(false);
      expect((await auth.listSessions(me.session)).map((item) => item.id)).toEqual([me.session.id]);
      expect((await authErrorOf(auth.revokeSession(me.session, other.session.id, testRequest))).code).toBe('NOT_FOUND');
    });

    it('signs out every other device at once', async () => {
      const me = await createSignedInUser(auth);
      const others = await Promise.all([1, 2, 3].map(() => auth.loginUser(me.user, {}, testRequest)));
      expect(await auth.revokeOtherSessions(me.session, testRequest)).toBe(3);
      for (const other of others) {
        expect((await auth.loadUser(other.token, testRequest)).user.isAuthenticated).toBe(false);
      }
      expect((await auth.loadUser(me.token, testRequest)).user.isAuthenticated).toBe(true);
    });

    it('refuses to act for a session that has ended', async () => {
      const me = await createSignedInUser(auth);
      await auth.logoutUser(me.token, testRequest);
      expect((await authErrorOf(auth.listSessions(me.session))).code).toBe('UNAUTHORIZED');
      expect((await authErrorOf(auth.revokeOtherSessions(me.session, testRequest))).code).toBe('UNAUTHORIZED');
    });
  });
});
